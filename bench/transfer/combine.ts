// `node --import tsx bench/transfer/combine.ts A.json B.json C.json [--markdown OUT.md]`:
// several `bench:transfer` runs of the same pairs with different seeds (a seed may come in several
// files of disjoint pairs) → per pair and per row
// mean ± sd over the seeds (accuracy, macro-F1, held-out domain classifier), the 12-pair mean of
// each seed and their mean ± sd, and the counts the transfer issue asks about (chain > few-shot
// only, alignment > source only, rows whose macro-F1 is more than 3 points below accuracy).
import { readFileSync, writeFileSync } from 'node:fs';
import { ROW_IDS, type RowId } from '../../src/demo/index.js';
import { LABELS, mean, means, type PairResult } from './results.js';

interface RunJson {
  commit: string;
  dirty: boolean;
  date: string;
  seed: number;
  splitSeed: number;
  modelShown: string;
  modelHash: string;
  lang?: string;
  settings?: unknown;
  overrides?: string[];
  pairs: PairResult[];
}

/**
 * Every file must share the data and backbone; the files of one seed also the recipe. Across seeds a
 * recipe may be spelt differently (an override at one commit is the default at a later one): the
 * header lists the overrides of each seed when they differ.
 */
const SAME_DATA = ['splitSeed', 'modelHash', 'lang'] as const;
const SAME_RECIPE = ['settings', 'overrides'] as const;
const differing = (a: RunJson, b: RunJson, keys: ReadonlyArray<keyof RunJson>) => keys.find((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));

const args = process.argv.slice(2);
let out: string | null = null;
const files: string[] = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--markdown') out = args[++i] ?? null;
  else files.push(args[i]!);
}
if (files.length === 0) throw new Error('usage: combine.ts RUN.json [RUN.json ...] [--markdown OUT.md]');
const key = (p: { source: string; target: string }) => `${p.source}:${p.target}`;
// Files of one seed (e.g. two halves of the pairs run side by side with --pairs) are joined into one run.
const runs: RunJson[] = [];
const commits = new Set<string>();
for (const f of files) {
  const r = JSON.parse(readFileSync(f, 'utf8')) as RunJson;
  if (!Array.isArray(r.pairs)) throw new Error(`${f}: no "pairs" array (not a bench:transfer results file)`);
  commits.add(r.commit.slice(0, 7) + (r.dirty ? '+' : ''));
  const same = runs.find((o) => o.seed === r.seed);
  const other = same ?? runs[0];
  const k = other === undefined ? undefined : differing(other, r, same === undefined ? SAME_DATA : [...SAME_DATA, ...SAME_RECIPE]);
  if (k !== undefined) throw new Error(`${f}: ${k} ${JSON.stringify(r[k])} differs from ${JSON.stringify(other![k])} of seed ${other!.seed}'s earlier file`);
  if (same === undefined) {
    runs.push({ ...r, pairs: [...r.pairs] });
    continue;
  }
  const twice = r.pairs.find((p) => same.pairs.some((q) => key(q) === key(p)));
  if (twice !== undefined) throw new Error(`${f}: pair ${key(twice)} of seed ${r.seed} is in an earlier file too`);
  same.pairs.push(...r.pairs);
}
// only pairs every run finished
const pairKeys = runs[0]!.pairs.map(key).filter((k) => runs.every((r) => r.pairs.some((p) => key(p) === k)));
const pairOf = (r: RunJson, k: string) => r.pairs.find((p) => key(p) === k)!;
// rows every run has (older results files lack rows added since)
const rowIds = ROW_IDS.filter((id) => runs.every((r) => r.pairs.every((p) => p.rows[id] !== undefined)));

function sd(xs: number[]): number | null {
  if (xs.length < 2) return null;
  const m = mean(xs)!;
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
}
function pm(xs: Array<number | null>): string {
  const v = xs.filter((x): x is number => x !== null).map((x) => x * 100);
  if (v.length === 0) return '–';
  const s = sd(v);
  return `${mean(v)!.toFixed(1)}${s === null ? '' : ` ± ${s.toFixed(1)}`}`;
}

const table = (metric: 'accuracy' | 'macroF1'): string[] => {
  const lines = [`| pair | ${rowIds.map((id) => LABELS[id]).join(' | ')} | domain clf before → after |`, `|---|${rowIds.map(() => '---:').join('|')}|---:|`];
  for (const k of pairKeys) {
    const ps = runs.map((r) => pairOf(r, k));
    lines.push(
      `| ${k.replace(':', ' → ')} | ${rowIds.map((id) => pm(ps.map((p) => p.rows[id][metric]))).join(' | ')} | ` +
        `${pm(ps.map((p) => p.domainConfusion.before))} → ${pm(ps.map((p) => p.domainConfusion.after))} |`,
    );
  }
  const ms = runs.map((r) => means(pairKeys.map((k) => pairOf(r, k))));
  lines.push(
    `| **mean (${pairKeys.length} pairs)** | ${rowIds.map((id) => pm(ms.map((m) => m.rows[id][metric]))).join(' | ')} | ` +
      `${pm(ms.map((m) => m.domainConfusion.before))} → ${pm(ms.map((m) => m.domainConfusion.after))} |`,
  );
  return lines;
};

const acc = (k: string, id: RowId) => mean(runs.map((r) => pairOf(r, k).rows[id].accuracy))!;
const count = (pred: (k: string) => boolean) => pairKeys.filter(pred).length;
const oneClassRows: string[] = [];
for (const r of runs)
  for (const k of pairKeys)
    for (const id of rowIds) {
      const row = pairOf(r, k).rows[id];
      if (row.accuracy - row.macroF1 > 0.03) oneClassRows.push(`${k} ${LABELS[id]} seed ${r.seed} (${(row.accuracy * 100).toFixed(1)} / ${(row.macroF1 * 100).toFixed(1)})`);
    }
const lines = [
  `Seeds ${runs.map((r) => r.seed).join(', ')} (split seed ${runs[0]!.splitSeed}); commits ${[...commits].join(', ')}; ` +
    `backbone \`${runs[0]!.modelShown}\` (sha256 ${runs[0]!.modelHash}); ${pairKeys.length} pairs finished by every run. Cells: mean ± sd over the seeds (%).` +
    (runs.some((r) => differing(r, runs[0]!, SAME_RECIPE) !== undefined)
      ? ` The seeds' recipes are written differently: ${runs.map((r) => `seed ${r.seed} overrides ${JSON.stringify(r.overrides ?? [])}`).join(', ')}.`
      : ''),
  '',
  'Target test accuracy:',
  '',
  ...table('accuracy'),
  '',
  'Macro-F1:',
  '',
  ...table('macroF1'),
  '',
  `- full chain (1+2+3) > few-shot only (seed means): ${count((k) => acc(k, 'few_shot') > acc(k, 'few_shot_only'))} of ${pairKeys.length} pairs`,
  `- + alignment > source only (seed means): ${count((k) => acc(k, 'alignment') > acc(k, 'source_only'))} of ${pairKeys.length} pairs`,
  `- full chain ≥ TF-IDF src+few (seed means): ${count((k) => acc(k, 'few_shot') >= acc(k, 'tfidf_source_few_shot'))} of ${pairKeys.length} pairs`,
  `- rows with macro-F1 more than 3 points below accuracy: ${oneClassRows.length} of ${runs.length * pairKeys.length * rowIds.length}${oneClassRows.length ? ': ' + oneClassRows.join('; ') : ''}`,
];
const text = lines.join('\n') + '\n';
if (out !== null) writeFileSync(out, text);
process.stdout.write(text);
