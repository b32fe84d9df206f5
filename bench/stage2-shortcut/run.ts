// `node --import tsx bench/stage2-shortcut/run.ts [--seeds 7,8,9] [--work DIR] [--json FILE]`
//
// Stage 2 through the real pipeline on a problem whose answer is known (issue 10): the synthetic
// two-domain reviews of test/support/shortcut-domains.ts, where the source has a label shortcut
// the target lacks. A tiny random BERT (2 layers, hidden 32, vocabulary learned on the texts)
// runs stage 1 and stage 2 (stage 3 off) in every variant:
//   frozen / unfrozen   stage 2 with the default freeze (layer 0 and the embeddings frozen) or
//                       stage2.freeze_layers = 0 (every layer and the embeddings train)
//   domain 1 / 0        the adversary (confusion, λ max 5) on or off (loss_weights.domain)
//   centre on / off     stage2.centre_features
// MLM is off (loss_weights.mlm = 0) so that what changes is the alignment alone; the rest is the
// demo's stage-2 recipe. Printed: target test accuracy after stage 1 (source only) and after
// stage 2, mean ± sd over the seeds, and the held-out domain classifier after stage 2.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { Rng } from '../../src/tensor/rng.js';
import { validateConfig } from '../../src/train/config.js';
import { trainPipeline } from '../../src/train/pipeline.js';
import { tinyBertFolder } from '../../test/support/tiny-model.js';
import { shortcutDomainTexts } from '../../test/support/shortcut-domains.js';
import { gitCommit, machineInfo } from '../support/machine.js';

interface Variant {
  name: string;
  freeze: number | null;
  domain: number;
  centre: boolean;
}

const VARIANTS: Variant[] = [];
for (const freeze of [null, 0])
  for (const centre of [true, false])
    for (const domain of [1, 0]) VARIANTS.push({ name: `${freeze === null ? 'frozen' : 'unfrozen'}, domain ${domain}, centre ${centre ? 'on' : 'off'}`, freeze, domain, centre });

function parseArgs(argv: string[]): { seeds: number[]; work: string; json: string | null } {
  let seeds = [7, 8, 9, 10, 11, 12];
  let work = join(tmpdir(), 'adaptext-stage2-shortcut');
  let json: string | null = null;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a}: needs a value`);
      return v;
    };
    if (a === '--seeds') seeds = next().split(',').map(Number);
    else if (a === '--work') work = next();
    else if (a === '--json') json = next();
    else throw new Error(`unknown option ${a} (--seeds, --work, --json)`);
  }
  if (seeds.some((s) => !Number.isInteger(s))) throw new Error('--seeds: integers separated by commas');
  return { seeds, work, json };
}

/** Writes the data files once (fixed data seed: the seeds vary the model's training, not the problem). */
function writeData(dir: string): { model: string; files: Record<'source' | 'target' | 'unlabelled', string> } {
  mkdirSync(dir, { recursive: true });
  const rng = new Rng(11);
  const src = shortcutDomainTexts(600, 'source', rng);
  const tgt = shortcutDomainTexts(400, 'target', rng);
  const unl = shortcutDomainTexts(600, 'target', rng);
  const label = (y: number) => (y === 1 ? 'positive' : 'negative');
  const files = { source: join(dir, 'source.jsonl'), target: join(dir, 'target.jsonl'), unlabelled: join(dir, 'unlabelled.jsonl') };
  writeFileSync(files.source, src.texts.map((t, i) => JSON.stringify({ text: t, label: label(src.labels[i]!) })).join('\n') + '\n');
  writeFileSync(files.target, tgt.texts.map((t, i) => JSON.stringify({ text: t, label: label(tgt.labels[i]!) })).join('\n') + '\n');
  writeFileSync(files.unlabelled, unl.texts.map((t) => JSON.stringify({ text: t })).join('\n') + '\n');
  const model = tinyBertFolder({ corpus: 'shortcut-domains', texts: () => [...src.texts, ...tgt.texts, ...unl.texts], hidden: 32, layers: 2, vocab: 200 });
  return { model, files };
}

interface RunResult {
  variant: string;
  seed: number;
  sourceOnly: number;
  aligned: number;
  domainAfter: number | null;
}

async function runOne(v: Variant, seed: number, data: ReturnType<typeof writeData>, work: string): Promise<RunResult> {
  const output = join(work, `run-${VARIANTS.indexOf(v)}-s${seed}`);
  rmSync(output, { recursive: true, force: true });
  const raw = {
    model: data.model,
    output,
    seed,
    max_length: 16,
    tasks: { sentiment: { type: 'sequence_classification', labels: ['negative', 'positive'], pooling: 'mean' } },
    source: { name: 'src', task: 'sentiment', labelled: data.files.source, split: { validation: 100, test: 100 } },
    target: { name: 'tgt', task: 'sentiment', labelled: data.files.target, split: { validation: 100, test: 300 }, unlabelled: data.files.unlabelled },
    stage1: { epochs: 3, batch_size: 16, lr: { adapters: 1e-3, heads: 1e-3, backbone: 1e-4 } },
    stage2: {
      epochs: 6,
      batch_size: 16,
      freeze_layers: v.freeze,
      adversary: 'confusion',
      centre_features: v.centre,
      lambda: { max: 5 },
      loss_weights: { mlm: 0, domain: v.domain },
      lr: { adapters: 1e-3, heads: 1e-4, backbone: 3e-4, discriminator: 1e-3 },
    },
    stage3: { enabled: false },
    checkpoint: { save_every_steps: 100000 },
    baselines: false,
  };
  await trainPipeline(validateConfig(raw, v.name, '/'));
  const m = JSON.parse(readFileSync(join(output, 'metrics.json'), 'utf8')) as { stages: Record<string, { target_test: { accuracy: number }; domain_confusion?: { accuracy: number } }> };
  rmSync(output, { recursive: true, force: true });
  return {
    variant: v.name,
    seed,
    sourceOnly: m.stages['stage1']!.target_test.accuracy,
    aligned: m.stages['stage2']!.target_test.accuracy,
    domainAfter: m.stages['stage2']!.domain_confusion?.accuracy ?? null,
  };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs: number[]) => (xs.length < 2 ? 0 : Math.sqrt(xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / (xs.length - 1)));
const pct = (xs: number[]) => `${(mean(xs) * 100).toFixed(1)} ± ${(sd(xs) * 100).toFixed(1)}`;

const args = parseArgs(process.argv.slice(2));
const data = writeData(args.work);
const results: RunResult[] = [];
for (const seed of args.seeds) {
  for (const v of VARIANTS) {
    const r = await runOne(v, seed, data, args.work);
    results.push(r);
    console.error(`${v.name} seed ${seed}: source only ${(r.sourceOnly * 100).toFixed(1)}, after stage 2 ${(r.aligned * 100).toFixed(1)}`);
  }
}
const lines = [
  `seeds ${args.seeds.join(', ')}; target test 300 reviews; commit ${gitCommit() ?? 'unknown'}; ${machineInfo().model ?? 'unknown CPU'} (${machineInfo().cpus} CPUs; ${machineInfo().simd.join(', ')})`,
  '',
  '| stage 2 | source only | after stage 2 | Δ (wins) | domain clf after |',
  '|---|---:|---:|---:|---:|',
];
for (const v of VARIANTS) {
  const rs = results.filter((r) => r.variant === v.name);
  const d = rs.map((r) => r.aligned - r.sourceOnly);
  lines.push(
    `| ${v.name} | ${pct(rs.map((r) => r.sourceOnly))} | ${pct(rs.map((r) => r.aligned))} | ${(mean(d) * 100).toFixed(1)} (${d.filter((x) => x > 0).length}/${d.length}) | ${pct(rs.map((r) => r.domainAfter ?? NaN))} |`,
  );
}
console.log(lines.join('\n'));
if (args.json !== null) writeFileSync(args.json, JSON.stringify({ date: new Date().toISOString(), commit: gitCommit(), machine: machineInfo(), seeds: args.seeds, results }, null, 2) + '\n');
