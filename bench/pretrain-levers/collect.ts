// The lever table of bench/pretrain-levers: one row per run folder under ROOT (made by run.sh):
// CPU time (ROOT/<recipe>.time, GNU time), the last held-out MLM loss on both held-out files at
// 15% masking (recomputed from the final model when the run logged it at another rate — runs
// started before HELDOUT_MLM_PROBABILITY existed), and the validation probe (ROOT/probes.jsonl,
// tools/linear-probe.ts --eval validation --json-out).
//
//   node --import tsx bench/pretrain-levers/collect.ts ROOT [RECIPE...]
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { RunLog } from '../../src/engine/run-log.js';
import { loadModel } from '../../src/models/index.js';
import { heldoutLoss, loadStream, packStream } from '../../src/pretrain/index.js';
import { MlmMasker } from '../../src/data/index.js';
import { loadTokenizer } from '../../src/text/index.js';
import { GENERATOR_HEAD } from '../../src/pretrain/electra.js';

const [root, ...only] = process.argv.slice(2);
if (root === undefined) {
  process.stderr.write('usage: node --import tsx bench/pretrain-levers/collect.ts ROOT [RECIPE...]\n');
  process.exit(2);
}
const RECIPES = only.length > 0 ? only : ['base', 'mask40', 'lr1e-3', 'bs8', 'len64', 'cooc', 'cooc-mask40', 'electra'];

interface Probe {
  checkpoint: string;
  mean?: { in_domain_validation: number; cross_domain_validation: number };
  cls?: { in_domain_validation: number; cross_domain_validation: number };
}
const probes = existsSync(join(root, 'probes.jsonl'))
  ? readFileSync(join(root, 'probes.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Probe)
  : [];
const probeOf = (dir: string) => probes.filter((p) => p.checkpoint === dir).at(-1);
const pct = (x: number | undefined) => (x === undefined ? '–' : (100 * x).toFixed(1));

const rows: string[] = [];
for (const r of ['init-random', 'init-cooc']) {
  const p = probeOf(join(root, r));
  if (p !== undefined)
    rows.push(
      `| ${r} (no training) | 0 | 0 | – | – | ${pct(p.mean?.in_domain_validation)} / ${pct(p.mean?.cross_domain_validation)} | ${pct(p.cls?.in_domain_validation)} / ${pct(p.cls?.cross_domain_validation)} |`,
    );
}
for (const r of RECIPES) {
  const dir = join(root, r);
  if (!existsSync(join(dir, 'log.jsonl'))) continue;
  const recs = new RunLog(join(dir, 'log.jsonl')).read();
  const start = recs.find((x) => x.type === 'start') as { options: { mlmProbability: number; objective?: string; maxLength: number; heldout: string[]; textField: string } } | undefined;
  const stop = recs.filter((x) => x.type === 'stop').at(-1);
  if (start === undefined || stop === undefined) {
    rows.push(`| ${r} | (running) | | | | | |`);
    continue;
  }
  const time = existsSync(join(root, `${r}.time`)) ? /cpu_seconds ([\d.]+) user ([\d.]+) sys/.exec(readFileSync(join(root, `${r}.time`), 'utf8')) : null;
  const cpuH = time !== null ? (Number(time[1]) + Number(time[2])) / 3600 : NaN;
  let losses: number[];
  const electra = start.options.objective === 'electra';
  if (start.options.mlmProbability === 0.15 || electra) {
    const last = recs.filter((x) => x.type === 'heldout').slice(-2);
    losses = last.map((x) => x['loss'] as number);
  } else {
    // logged at the training rate: score the final model at 15% on the same held-out sequences
    const tok = loadTokenizer(dir);
    const { model } = loadModel(dir, { seed: 1 });
    const head = model.headNames().find((h) => model.getHead(h).type === 'masked_lm')!;
    const masker = MlmMasker.fromTokenizer(tok, { probability: 0.15 });
    losses = start.options.heldout.map((file, i) => {
      const s = loadStream([file], tok, { textField: start.options.textField, cacheDir: join(dir, 'data'), name: `heldout-${i}` });
      return heldoutLoss(model, head, packStream(s.stream, start.options.maxLength, s.info.records), tok, masker, 200, 32).loss;
    });
  }
  const p = probeOf(dir);
  rows.push(
    `| ${r} | ${(Number(stop['tokens']) / 1e6).toFixed(2)} M | ${cpuH.toFixed(2)} | ${losses.map((x) => x.toFixed(3)).join(' / ')}${electra ? ` (generator ${GENERATOR_HEAD})` : ''} | ${stop['step']} | ` +
      `${pct(p?.mean?.in_domain_validation)} / ${pct(p?.mean?.cross_domain_validation)} | ${pct(p?.cls?.in_domain_validation)} / ${pct(p?.cls?.cross_domain_validation)} |`,
  );
}
process.stdout.write(
  `| recipe (${basename(root)}) | tokens | CPU-hours | held-out loss books / reviews (15% masked) | steps | probe mean-pooled in / cross (%) | probe [CLS] in / cross (%) |\n|---|---:|---:|---|---:|---:|---:|\n` +
    rows.join('\n') +
    '\n',
);
