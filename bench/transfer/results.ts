// The results of `bench:transfer`: one pair's numbers, the row labels, means and the percentage
// format, shared by the runner (run.ts) and the seed combiner (combine.ts).
import { ROW_IDS, type DemoResult, type RowId } from '../../src/demo/index.js';

export interface PairResult {
  source: string;
  target: string;
  rows: Record<RowId, { accuracy: number; macroF1: number; domainAccuracy: number | null }>;
  domainConfusion: { before: number | null; after: number | null };
  sizes: DemoResult['sizes'] | null;
  seconds: number;
  /** null when the child died before writing demo.json (see `failure`). */
  timings: DemoResult['timings'] | null;
  load: DemoResult['load'] | null;
  /** The tensor backend of the pair's process (results files before 2026-12-05 lack it). */
  kernels?: string | null;
  run: string;
  /** Set when the pair's process failed after the final metrics were written. */
  failure?: string;
}

export const LABELS: Record<RowId, string> = {
  source_only: 'source only',
  alignment: '+ alignment',
  few_shot: '+ few-shot',
  few_shot_only: 'few-shot only',
  tfidf_source: 'TF-IDF src',
  tfidf_source_few_shot: 'TF-IDF src+few',
  bow_dann: 'BoW DANN',
};

export function mean(xs: number[]): number | null {
  return xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length;
}

export function means(pairs: PairResult[]) {
  const rows = Object.fromEntries(
    ROW_IDS.filter((id) => pairs.every((p) => p.rows[id] !== undefined)).map((id) => [
      id,
      { accuracy: mean(pairs.map((p) => p.rows[id].accuracy)), macroF1: mean(pairs.map((p) => p.rows[id].macroF1)) },
    ]),
  ) as Record<RowId, { accuracy: number | null; macroF1: number | null }>;
  const before = pairs.map((p) => p.domainConfusion.before).filter((x): x is number => x !== null);
  const after = pairs.map((p) => p.domainConfusion.after).filter((x): x is number => x !== null);
  return { rows, domainConfusion: { before: mean(before), after: mean(after) } };
}

export const pct = (x: number | null | undefined) => (x === null || x === undefined ? '–' : (x * 100).toFixed(1));
