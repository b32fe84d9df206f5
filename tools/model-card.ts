// Regenerates the measured tables of a backbone's model card from its pretraining run, and
// (with --copy) ships the run's latest checkpoint into the model folder as fp16 safetensors.
//
//   node --import tsx tools/model-card.ts RUN_DIR [RUN_DIR2 ...] [--model-dir models/adaptext-mini-en] [--copy]
//
// Several RUN_DIRs = phases in order (phase 2 continued phase 1's weights with `--model`, e.g.
// domain-adaptive pretraining on the reviews); tokens seen are cumulative; the last run is shipped.
// Reads each RUN_DIR/log.jsonl (written by `adaptext pretrain`; the run-log schema of src/engine/run-log.ts) and RUN_DIR/probe.jsonl (JSON lines
// of tools/probe-backbone.ts / linear-probe.ts --json-out, if any), and rewrites the part of
// <model-dir>/README.md between `<!-- model-card:begin -->` and `<!-- model-card:end -->`:
// summary (steps, tokens seen, passes over the corpus, hours), held-out MLM loss/perplexity
// by tokens seen, training loss, downstream probe accuracy by tokens seen.
// --copy: RUN_DIR's HF files (config, tokenizer, adaptext.json) + model.safetensors converted
// to F16, written atomically into <model-dir>/ (README.md is kept), then loaded back to check.
import { copyFileSync, existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { readSafetensors, writeSafetensors } from '../src/io/safetensors.js';
import { writeDirAtomic } from '../src/io/atomic.js';
import { loadModel } from '../src/models/index.js';
import { loadTokenizer } from '../src/text/index.js';
import { RunLog, type RunLogRecord } from '../src/engine/index.js';
import type { PretrainOptions } from '../src/pretrain/index.js';

const here = import.meta.dirname;
const args = process.argv.slice(2);
const runs = args.filter((a, i) => !a.startsWith('--') && (i === 0 || args[i - 1] !== '--model-dir'));
if (runs.length === 0) {
  process.stderr.write('usage: node --import tsx tools/model-card.ts RUN_DIR [RUN_DIR2 ...] [--model-dir DIR] [--copy]\n');
  process.exit(2);
}
const mi = args.indexOf('--model-dir');
const modelDir = resolve(mi >= 0 ? args[mi + 1]! : join(here, '..', 'models', 'adaptext-mini-en'));
const copy = args.includes('--copy');
const MAX_BYTES = 25 * 1024 * 1024;

// The pretraining log records this card reads (docs/run-format.md).
interface Start extends RunLogRecord {
  options: PretrainOptions;
  trainTokens: number;
  parameters: number;
}
interface Step extends RunLogRecord {
  step: number;
  tokens: number;
  loss: number;
  lr: number;
  tokensPerSecond: number;
  elapsedSeconds: number;
  cpuSeconds?: number;
}
interface Heldout extends RunLogRecord {
  step: number;
  tokens: number;
  file: string;
  loss: number;
  perplexity: number;
}
interface Stop extends RunLogRecord {
  step: number;
  tokens: number;
  elapsedSeconds: number;
}
/** A line of probe.jsonl (tools/linear-probe.ts or tools/probe-backbone.ts). */
interface Probe {
  probe?: 'linear';
  checkpoint: string;
  step: number | null;
  tokens?: number | null;
  /** --eval test: books_test / kitchen_test; --eval validation: in_domain_validation / cross_domain_validation. */
  cls: { books_test?: number; kitchen_test?: number; in_domain_validation?: number; cross_domain_validation?: number };
  mean: { books_test?: number; kitchen_test?: number; in_domain_validation?: number; cross_domain_validation?: number };
  lang?: string;
  accuracy: number;
  macro_f1: number;
  train_layers: number;
  epochs: number;
}

function readJsonLines<T>(file: string): T[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l, i) => {
      try {
        return JSON.parse(l) as T;
      } catch {
        throw new Error(`${file}:${i + 1}: invalid JSON`);
      }
    });
}

// One phase per run folder, in order: a later phase continues the previous one's weights
// (`adaptext pretrain --model PREV`), so its tokens count on top of everything before it.
let offset = 0;
const phases = runs.map((run, i) => {
  const logFile = join(run, 'log.jsonl');
  if (!existsSync(logFile)) throw new Error(`${logFile}: missing (not an adaptext pretrain output folder)`);
  const events = new RunLog(logFile).read();
  const start = events.find((e): e is Start => e.type === 'start');
  if (start === undefined) throw new Error(`${logFile}: no 'start' record`);
  const train = events.filter((e): e is Step => e.type === 'step');
  const evals = events.filter((e): e is Heldout => e.type === 'heldout');
  const last: Step | undefined = train[train.length - 1];
  const probes = existsSync(join(run, 'probe.jsonl')) ? readJsonLines<Probe>(join(run, 'probe.jsonl')) : [];
  const tokensPerStep = start.options.batchSize * start.options.maxLength * start.options.gradAccum;
  const stops = events.filter((e): e is Stop => e.type === 'stop');
  // Where the phase stands: its last checkpointed stop can be a few steps past the last log line.
  const end = [last, ...stops].reduce<{ step: number; tokens: number }>((a, e) => (e !== undefined && e.step > a.step ? e : a), { step: 0, tokens: 0 });
  const phase = { n: i + 1, run: resolve(run), start, train, evals, stops, last, end, probes, tokensPerStep, offset };
  offset += end.tokens;
  return phase;
});
type Phase = (typeof phases)[number];
const fmtM = (n: number) => `${(n / 1e6).toFixed(2)}M`;
const fmt = (x: number | undefined, d = 3) => (x !== undefined && Number.isFinite(x) ? x.toFixed(d) : '–');
const evalFiles = [...new Set(phases.flatMap((p) => p.evals.map((e) => e.file)))];
const label = (f: string) => (/gutenberg/.test(f) ? `held-out books (${basename(f)})` : /amazon/.test(f) ? `held-out reviews (${basename(f)})` : basename(f));
const corpusOf = (p: Phase) => {
  const ins = p.start.options.inputs.map((f) => basename(dirname(f)));
  const g = ins.filter((d) => d === 'gutenberg').length;
  const a = ins.filter((d) => d === 'amazon').length;
  return [g ? `Gutenberg (${g} files)` : '', a ? `Amazon unlabelled reviews (${a} files)` : ''].filter(Boolean).join(' + ') || p.start.options.inputs.map((f) => basename(f)).join(', ');
};
const lines: string[] = [];
lines.push('<!-- model-card:begin -->');
lines.push(`<!-- generated by tools/model-card.ts from ${runs.map((r) => `${basename(r)}/log.jsonl`).join(', ')} on ${new Date().toISOString()}; do not edit by hand -->`);
lines.push('');
lines.push('### Training so far');
lines.push('');
lines.push('| phase | corpus | steps (horizon) | tokens seen | passes | peak lr / lr now | time | tokens/s (last 50 windows) |');
lines.push('|---|---|---:|---:|---:|---|---:|---:|');
for (const p of phases) {
  const o = p.start.options;
  const tokens = p.end.tokens;
  const tps = p.train.slice(-50).map((e) => e.tokensPerSecond);
  const mode = p.n === 1 ? (o.model ? 'continued' : 'from scratch') : 'continued from phase ' + (p.n - 1);
  lines.push(
    `| ${p.n} (${mode}) | ${corpusOf(p)}: ${fmtM(p.start.trainTokens)} tokens | ${p.end.step} (${o.totalSteps}) | ${fmtM(tokens)} | ${fmt(tokens / p.start.trainTokens, 2)} | ` +
      `${o.lr} / ${p.last ? p.last.lr.toExponential(2) : '–'} | ${fmt((p.last?.elapsedSeconds ?? 0) / 3600, 2)} h${p.last?.cpuSeconds !== undefined ? ` (${fmt(p.last.cpuSeconds / 3600, 2)} CPU-h)` : ''}, ${Math.max(1, p.stops.length)} session(s) | ${tps.length ? Math.round(tps.reduce((a, b) => a + b, 0) / tps.length) : '–'} |`,
  );
}
lines.push(`| **total** | | | **${fmtM(offset)}** | | | ${fmt(phases.reduce((a, p) => a + (p.last?.elapsedSeconds ?? 0), 0) / 3600, 2)} h | |`);
lines.push('');
lines.push(`Parameters: ${fmtM(phases[0].start.parameters)}; ${phases[0].tokensPerStep} tokens per step.`);
lines.push('');
lines.push('### Held-out MLM loss by tokens seen');
lines.push('');
lines.push('Fixed masking seed, no dropout, the first 200 packed sequences of each held-out file; perplexity = exp(loss) over masked tokens. Tokens seen are cumulative over the phases.');
lines.push('');
lines.push(`| phase | step | tokens seen | ${evalFiles.map((f) => `${label(f)} loss / ppl`).join(' | ')} | train loss (last window) |`);
lines.push(`|---:|---:|---:|${evalFiles.map(() => '---:').join('|')}|---:|`);
for (const p of phases) {
  const steps = [...new Set(p.evals.map((e) => e.step))].sort((a, b) => a - b);
  for (const s of steps) {
    const row = evalFiles.map((f) => {
      const e = p.evals.filter((x) => x.step === s && x.file === f).pop();
      return e ? `${fmt(e.loss)} / ${fmt(e.perplexity, 1)}` : '–';
    });
    const tl = p.train.filter((t) => t.step <= s).pop();
    const tokens = p.offset + p.evals.find((x) => x.step === s)!.tokens;
    lines.push(`| ${p.n} | ${s} | ${fmtM(tokens)} | ${row.join(' | ')} | ${s === 0 ? '–' : fmt(tl?.loss)} |`);
  }
}
lines.push('');
lines.push('### Downstream probes by tokens seen');
lines.push('');
const probes = phases.flatMap((p) => p.probes.map((r) => ({ ...r, phase: p, tokens: r.step !== null ? p.offset + r.step * p.tokensPerStep : (r.tokens ?? null) })));
const fine = probes.filter((r) => r.probe !== 'linear');
const linearAll = probes.filter((r) => r.probe === 'linear');
const linear = linearAll.filter((r) => r.cls.books_test !== undefined);
const linearVal = linearAll.filter((r) => r.cls.in_domain_validation !== undefined);
const byTokens = (a: { tokens: number | null }, b: { tokens: number | null }) => (a.tokens ?? 1e15) - (b.tokens ?? 1e15);
if (probes.length === 0) {
  lines.push('Not measured yet: run `tools/linear-probe.ts` / `tools/probe-backbone.ts RUN/snapshots/step-N --json-out RUN/probe.jsonl` per snapshot, then this script again.');
}
if (linear.length > 0) {
  lines.push(
    '`tools/linear-probe.ts`: the checkpoint frozen; logistic regression (sklearn-style, C = 1, standardised) on its features of 1,600 labelled books reviews; accuracy on 200 held-out books reviews (in domain) and 400 kitchen reviews (cross-domain, no kitchen labels used).',
  );
  lines.push('');
  lines.push('| phase | step | tokens seen | [CLS] books / kitchen | mean-pooled books / kitchen |');
  lines.push('|---:|---:|---:|---:|---:|');
  for (const r of [...linear].sort(byTokens)) {
    const pc = (x: number) => `${fmt(x * 100, 1)}%`;
    lines.push(
      `| ${r.phase.n} | ${r.step ?? '–'} | ${r.tokens !== null ? fmtM(r.tokens) : '–'} | ${pc(r.cls.books_test!)} / ${pc(r.cls.kitchen_test!)} | ${pc(r.mean.books_test!)} / ${pc(r.mean.kitchen_test!)} |`,
    );
  }
  lines.push('');
}
if (linearVal.length > 0) {
  lines.push(
    "`tools/linear-probe.ts --eval validation`: the checkpoint frozen; per domain of the demo's data a logistic regression (C = 1, standardised) on the features of its 1,600-review train split, scored on its own validation split (in domain, mean of 4) and on the other domains' validation splits (cross-domain, mean of 12); no test split is used.",
  );
  lines.push('');
  lines.push('| phase | step | tokens seen | [CLS] in / cross | mean-pooled in / cross |');
  lines.push('|---:|---:|---:|---:|---:|');
  for (const r of [...linearVal].sort(byTokens)) {
    const pc = (x: number) => `${fmt(x * 100, 1)}%`;
    lines.push(
      `| ${r.phase.n} | ${r.step ?? '–'} | ${r.tokens !== null ? fmtM(r.tokens) : '–'} | ${pc(r.cls.in_domain_validation!)} / ${pc(r.cls.cross_domain_validation!)} | ${pc(r.mean.in_domain_validation!)} / ${pc(r.mean.cross_domain_validation!)} |`,
    );
  }
  lines.push('');
}
if (fine.length > 0) {
  lines.push('`tools/probe-backbone.ts`: fresh classification head + top layers fine-tuned on 1,600 labelled books reviews, accuracy on 400 kitchen reviews (no kitchen labels used).');
  lines.push('');
  lines.push('| phase | checkpoint | step | tokens seen | accuracy | macro-F1 | trained layers / epochs |');
  lines.push('|---:|---|---:|---:|---:|---:|---|');
  for (const p of [...fine].sort(byTokens)) {
    lines.push(
      `| ${p.phase.n} | ${basename(p.checkpoint)} | ${p.step ?? '–'} | ${p.tokens !== null ? fmtM(p.tokens) : '–'} | ${fmt(p.accuracy * 100, 1)}% | ${fmt(p.macro_f1, 3)} | ${p.train_layers} / ${p.epochs} |`,
    );
  }
}
lines.push('<!-- model-card:end -->');
const block = lines.join('\n');

const readme = join(modelDir, 'README.md');
if (!existsSync(readme)) throw new Error(`${readme}: missing (the static part of the card)`);
const text = readFileSync(readme, 'utf8');
const a = text.indexOf('<!-- model-card:begin -->');
const b = text.indexOf('<!-- model-card:end -->');
if (a < 0 || b < a) throw new Error(`${readme}: no <!-- model-card:begin --> … <!-- model-card:end --> block`);
const updated = text.slice(0, a) + block + text.slice(b + '<!-- model-card:end -->'.length);

if (copy) {
  const run = runs[runs.length - 1];
  const src = existsSync(join(run, 'model.safetensors')) ? run : join(run, 'checkpoint');
  if (!existsSync(join(src, 'model.safetensors'))) throw new Error(`${run}: no model.safetensors yet (no checkpoint written)`);
  const tensors = readSafetensors(join(src, 'model.safetensors'));
  const keep = ['config.json', 'vocab.txt', 'tokenizer_config.json', 'tokenizer.json', 'special_tokens_map.json', 'adaptext.json'];
  writeDirAtomic(modelDir, (tmp) => {
    writeSafetensors(join(tmp, 'model.safetensors'), new Map([...tensors].map(([k, t]) => [k, { shape: t.shape, data: t.data }])), { dtype: 'F16', metadata: { format: 'pt' } });
    for (const f of keep) if (existsSync(join(src, f))) copyFileSync(join(src, f), join(tmp, f));
    writeFileSync(join(tmp, 'README.md'), updated);
    for (const f of readdirSync(modelDir)) if (!keep.includes(f) && f !== 'README.md' && f !== 'model.safetensors') copyFileSync(join(modelDir, f), join(tmp, f));
  });
  const bytes = statSync(join(modelDir, 'model.safetensors')).size;
  if (bytes > MAX_BYTES) process.stderr.write(`model-card: warning: model.safetensors is ${(bytes / 1e6).toFixed(1)} MB (> 25 MB)\n`);
  const { model } = loadModel(modelDir);
  const tok = loadTokenizer(modelDir);
  if (tok.vocabSize !== model.cfg.vocabSize) throw new Error(`${modelDir}: tokenizer has ${tok.vocabSize} ids, model ${model.cfg.vocabSize}`);
  process.stdout.write(`model-card: copied ${src} → ${modelDir} (F16, ${(bytes / 1e6).toFixed(1)} MB), loads back\n`);
} else {
  writeFileSync(readme, updated);
}
process.stdout.write(`model-card: ${readme} updated (${phases.length} phase(s), ${phases.reduce((a, p) => a + p.evals.length, 0)} evals, ${probes.length} probe rows)\n`);
