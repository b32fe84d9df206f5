// PyTorch parity of `adaptext pretrain`, step 3: the table. Reads DIR/adaptext/log.jsonl and every
// DIR/torch*/log.jsonl (pretrain log schema: event eval/train) and prints, per evaluation step, the
// held-out loss of each run and the differences; then the training throughput of each.
// A second PyTorch run with another dropout seed (pretrain_torch.py --seed N --name torch-sN)
// measures how far two runs of the same recipe drift apart by dropout alone: the yardstick for the
// adaptext − torch differences.
//   node tools/parity/compare.mjs DIR
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';

const dir = process.argv[2];
if (!dir) throw new Error('usage: compare.mjs DIR');
const runs = ['adaptext', ...readdirSync(dir).filter((d) => d.startsWith('torch') && existsSync(join(dir, d, 'log.jsonl'))).sort()];
const logs = Object.fromEntries(
  runs.map((r) => [r, readFileSync(join(dir, r, 'log.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l))]),
);
const twin = runs.find((r) => r.startsWith('torch-'));
const files = [...new Set(logs.adaptext.filter((e) => e.event === 'eval').map((e) => e.file))];
const evalOf = (r, step, file) => logs[r].find((e) => e.event === 'eval' && e.step === step && e.file === file)?.loss;
const steps = [...new Set(logs.adaptext.filter((e) => e.event === 'eval').map((e) => e.step))].sort((a, b) => a - b);
const short = (f) => basename(f).replace(/\.jsonl(\.gz)?$/, '');
const fmt = (x) => (x === undefined ? '—' : x.toFixed(4));
const signed = (d) => (d === undefined ? '—' : `${d < 0 && d.toFixed(4) !== '-0.0000' ? '−' : '+'}${Math.abs(d).toFixed(4)}`);
const diff = (a, b) => (a !== undefined && b !== undefined ? a - b : undefined);
const head = ['step', 'tokens', ...files.flatMap((f) => [...runs.map((r) => `${r} ${short(f)}`), `Δ adaptext−torch`, ...(twin ? [`Δ ${twin}−torch`] : [])])];
console.log(`| ${head.join(' | ')} |`);
console.log(`|${head.map(() => '---:').join('|')}|`);
const deltas = files.map(() => []);
const noise = files.map(() => []);
for (const s of steps) {
  const cells = [String(s), `${((s * 4096) / 1e6).toFixed(2)} M`];
  files.forEach((f, k) => {
    for (const r of runs) cells.push(fmt(evalOf(r, s, f)));
    const d = diff(evalOf('adaptext', s, f), evalOf('torch', s, f));
    if (d !== undefined && s > 0) deltas[k].push(d);
    cells.push(signed(d));
    if (twin) {
      const n = diff(evalOf(twin, s, f), evalOf('torch', s, f));
      if (n !== undefined && s > 0) noise[k].push(n);
      cells.push(signed(n));
    }
  });
  console.log(`| ${cells.join(' | ')} |`);
}
const maxAbs = (xs) => Math.max(...xs.map(Math.abs));
files.forEach((f, k) => {
  const d = deltas[k];
  if (d.length === 0) return;
  const mean = d.reduce((a, b) => a + b, 0) / d.length;
  const n = noise[k];
  console.log(
    `${short(f)}: ${d.length} evaluations after step 0, adaptext − torch mean ${signed(mean)}, max |Δ| ${maxAbs(d).toFixed(4)}` +
      (n.length > 0 ? `; two torch dropout seeds: max |Δ| ${maxAbs(n).toFixed(4)} over ${n.length} evaluations` : ''),
  );
});
for (const r of runs) {
  const t = logs[r].filter((e) => e.event === 'train' && e.step > 10).map((e) => e.tokens_per_s).sort((a, b) => a - b);
  if (t.length > 0) console.log(`${r}: median ${Math.round(t[t.length >> 1])} tokens/s over ${t.length} logged windows`);
}
