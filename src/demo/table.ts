// The demo's result table: the four ablation rows of the pipeline (metrics.json `ablation`) and
// the two TF-IDF baselines (`baselines`), scored on the same target test set, plus the domain
// classifier's accuracy before (stage 1) and after (stage 2) alignment.
import type { DomainConfusion, RunMetrics } from '../eval/types.js';

export const ROW_IDS = ['source_only', 'alignment', 'few_shot', 'few_shot_only', 'tfidf_source', 'tfidf_source_few_shot', 'bow_dann'] as const;
export type RowId = (typeof ROW_IDS)[number];

export interface DemoRow {
  id: RowId;
  name: string;
  /** Target test accuracy and macro-F1, in [0, 1]. */
  accuracy: number;
  macroF1: number;
  /** Accuracy of a fresh domain classifier on this model's held-out features (0.5 = indistinguishable); null for baselines. */
  domainAccuracy: number | null;
}

/**
 * Where each row comes from in metrics.json (names written by src/train/pipeline.ts and
 * src/baselines/index.ts). The TF-IDF rows name their analyzer, "TF-IDF (char 1-3) + LR (source
 * only)" (runs before issue 16 wrote "TF-IDF + LR (source only)", word 1-2); the table shows it too.
 */
const SOURCES: Array<{ id: RowId; name: string; from: 'ablation' | 'baselines'; key: string | RegExp }> = [
  { id: 'source_only', name: 'source only (stage 1)', from: 'ablation', key: 'source only (stage 1)' },
  { id: 'alignment', name: '+ alignment (stages 1+2)', from: 'ablation', key: 'stages 1+2' },
  { id: 'few_shot', name: '+ few-shot (stages 1+2+3)', from: 'ablation', key: 'stages 1+2+3' },
  { id: 'few_shot_only', name: 'few-shot only (raw backbone)', from: 'ablation', key: 'few-shot only' },
  { id: 'tfidf_source', name: 'TF-IDF{} + LR, source only', from: 'baselines', key: /^TF-IDF(?: \(([^)]*)\))? \+ LR \(source only\)$/ },
  { id: 'tfidf_source_few_shot', name: 'TF-IDF{} + LR, source + few-shot', from: 'baselines', key: /^TF-IDF(?: \(([^)]*)\))? \+ LR \(source \+ target few-shot\)$/ },
  { id: 'bow_dann', name: 'bag-of-words + DANN (no target labels)', from: 'baselines', key: 'bag-of-words + DANN' },
];

export function rowsFromMetrics(m: RunMetrics, file = 'metrics.json'): DemoRow[] {
  return SOURCES.map((s) => {
    const list = (s.from === 'ablation' ? m.ablation : m.baselines) ?? [];
    const hit = list.find((r) => (typeof s.key === 'string' ? r.name === s.key : s.key.test(r.name)));
    if (hit === undefined) {
      const want = typeof s.key === 'string' ? JSON.stringify(s.key) : `matching ${String(s.key)}`;
      throw new Error(`${file}: no ${s.from} row named ${want} (found: ${list.map((r) => JSON.stringify(r.name)).join(', ') || 'none'})`);
    }
    const dc = (hit as { domain_confusion?: DomainConfusion }).domain_confusion;
    // the analyzer in parentheses; older runs' unnamed TF-IDF rows were word 1-2
    const name = typeof s.key === 'string' ? s.name : s.name.replace('{}', ` (${s.key.exec(hit.name)?.[1] ?? 'word 1-2'})`);
    return { id: s.id, name, accuracy: hit.target.accuracy, macroF1: hit.target.macroF1, domainAccuracy: dc?.accuracy ?? null };
  });
}

/** Domain classifier accuracy after stage 1 (before alignment) and after stage 2. */
export function alignmentConfusion(m: RunMetrics): { before: number | null; after: number | null } {
  return { before: m.stages['stage1']?.domain_confusion?.accuracy ?? null, after: m.stages['stage2']?.domain_confusion?.accuracy ?? null };
}

const pct = (x: number | null) => (x === null ? '-' : `${(x * 100).toFixed(1)}%`);

/** Plain-text table for the terminal. */
export function formatTable(rows: readonly DemoRow[], title: string): string {
  const w = Math.max(...rows.map((r) => r.name.length), 10);
  const head = `${''.padEnd(w)}  ${'accuracy'.padStart(8)}  ${'macro-F1'.padStart(8)}  ${'domain clf'.padStart(10)}`;
  const lines = [title, head, '-'.repeat(head.length)];
  rows.forEach((r, i) => {
    if (i === 4) lines.push('-'.repeat(head.length));
    lines.push(`${r.name.padEnd(w)}  ${pct(r.accuracy).padStart(8)}  ${pct(r.macroF1).padStart(8)}  ${pct(r.domainAccuracy).padStart(10)}`);
  });
  return lines.join('\n') + '\n';
}

export function formatConfusionLine(c: { before: number | null; after: number | null }): string {
  return `domain classifier accuracy on held-out source/target features: ${pct(c.before)} before alignment (stage 1) -> ${pct(c.after)} after (stage 2); 50% = indistinguishable`;
}
