// PyTorch parity of `adaptext pretrain`, step 3: the table. Reads DIR/adaptext/log.jsonl and every
// DIR/torch*/log.jsonl (the run-log schema, src/engine/run-log.ts: heldout and step records) and prints, per evaluation step, the
// held-out loss of each run and the differences; then the training throughput of each.
// A second PyTorch run with another dropout seed (pretrain_torch.py --seed N --name torch-sN)
// measures how far two runs of the same recipe drift apart by dropout alone: the yardstick for the
// adaptext − torch differences.
//   node --import tsx tools/parity/compare.ts DIR
import { existsSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { RUN_LOG_NAME, RunLog, type RunLogRecord } from '../../src/engine/index.js';

interface Heldout extends RunLogRecord {
  type: 'heldout';
  step: number;
  tokens: number;
  file: string;
  loss: number;
}
interface Step extends RunLogRecord {
  type: 'step';
  step: number;
  tokensPerSecond: number;
}

const dir = process.argv[2];
if (dir === undefined) throw new Error('usage: compare.ts DIR');
const runs = [
  'adaptext',
  ...readdirSync(dir)
    .filter((d) => d.startsWith('torch') && existsSync(join(dir, d, RUN_LOG_NAME)))
    .sort(),
];
const logs = new Map(runs.map((r) => [r, new RunLog(join(dir, r, RUN_LOG_NAME)).read()]));
const heldout = (r: string) => (logs.get(r) ?? []).filter((e): e is Heldout => e.type === 'heldout');
const twin = runs.find((r) => r.startsWith('torch-'));
const files = [...new Set(heldout('adaptext').map((e) => e.file))];
const evalOf = (r: string, step: number, file: string) => heldout(r).find((e) => e.step === step && e.file === file)?.loss;
const steps = [...new Set(heldout('adaptext').map((e) => e.step))].sort((a, b) => a - b);
const tokensAt = new Map(heldout('adaptext').map((e) => [e.step, e.tokens]));
const short = (f: string) => basename(f).replace(/\.jsonl(\.gz)?$/, '');
const fmt = (x: number | undefined) => (x === undefined ? '—' : x.toFixed(4));
const signed = (d: number | undefined) => (d === undefined ? '—' : `${d < 0 && d.toFixed(4) !== '-0.0000' ? '−' : '+'}${Math.abs(d).toFixed(4)}`);
const diff = (a: number | undefined, b: number | undefined) => (a !== undefined && b !== undefined ? a - b : undefined);
const head = ['step', 'tokens', ...files.flatMap((f) => [...runs.map((r) => `${r} ${short(f)}`), `Δ adaptext−torch`, ...(twin ? [`Δ ${twin}−torch`] : [])])];
console.log(`| ${head.join(' | ')} |`);
console.log(`|${head.map(() => '---:').join('|')}|`);
const deltas = files.map((): number[] => []);
const noise = files.map((): number[] => []);
for (const s of steps) {
  const cells = [String(s), `${((tokensAt.get(s) ?? 0) / 1e6).toFixed(2)} M`];
  files.forEach((f, k) => {
    for (const r of runs) cells.push(fmt(evalOf(r, s, f)));
    const d = diff(evalOf('adaptext', s, f), evalOf('torch', s, f));
    if (d !== undefined && s > 0) deltas[k]!.push(d);
    cells.push(signed(d));
    if (twin) {
      const n = diff(evalOf(twin, s, f), evalOf('torch', s, f));
      if (n !== undefined && s > 0) noise[k]!.push(n);
      cells.push(signed(n));
    }
  });
  console.log(`| ${cells.join(' | ')} |`);
}
const maxAbs = (xs: number[]) => Math.max(...xs.map(Math.abs));
files.forEach((f, k) => {
  const d = deltas[k]!;
  if (d.length === 0) return;
  const mean = d.reduce((a, b) => a + b, 0) / d.length;
  const n = noise[k]!;
  console.log(
    `${short(f)}: ${d.length} evaluations after step 0, adaptext − torch mean ${signed(mean)}, max |Δ| ${maxAbs(d).toFixed(4)}` +
      (n.length > 0 ? `; two torch dropout seeds: max |Δ| ${maxAbs(n).toFixed(4)} over ${n.length} evaluations` : ''),
  );
});
for (const r of runs) {
  const t = (logs.get(r) ?? [])
    .filter((e): e is Step => e.type === 'step' && (e as Step).step > 10)
    .map((e) => e.tokensPerSecond)
    .sort((a, b) => a - b);
  if (t.length > 0) console.log(`${r}: median ${Math.round(t[t.length >> 1]!)} tokens/s over ${t.length} logged windows`);
}
