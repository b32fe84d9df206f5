// report.html: one self-contained page (inline CSS, inline SVG, no scripts, fonts or network)
// rendered from a run folder's run.json + metrics.json + log.jsonl (docs/run-format.md).
//
// Sections, each rendered only when its data exists (a run without ablation, vocabulary
// expansion or projection still renders; missing files are listed in a note):
//   header (model, source → target, seed, date, durations) · headline numbers · results
//   (per stage, ablation + baselines) · training curves per stage (loss components, EMA-smoothed
//   over the faint raw values; validation metrics) · domain alignment (discriminator accuracy
//   and λ, domain-classifier accuracy / proxy A-distance per stage, 2-D PCA before/after) ·
//   per-class metrics and confusion matrices · vocabulary expansion · configuration.
// All run data is escaped (esc) before it reaches the page.
//
// Durations: every log record's `time` is Unix time in seconds (src/engine/run-log.ts), so a
// stage lasts from its first to its last step record.
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import { barChart, DOMAIN_COLORS, legend, lineChart, maxOf, PALETTE, resetChartIds, scatterPlot, type LegendItem, type Series } from './report/charts.js';
import { deltaPt, duration, esc, fixed, int, pct } from './report/html.js';
import { readRunFolder, type ReportInput } from './report/read-run.js';
import { REPORT_CSS } from './report/style.js';
import type { DomainConfusion, EvalRecord, Metrics, RunMetrics, StepRecord } from './types.js';

export type { ReportInput } from './report/read-run.js';
export { readRunFolder, parseLog, checkRunMetrics } from './report/read-run.js';

const KNOWN_STAGES: Record<string, string> = {
  stage1: 'Stage 1 · source warm-up',
  stage2: 'Stage 2 · alignment (MLM + DANN)',
  stage3: 'Stage 3 · few-shot target',
};

function stageTitle(name: string): string {
  return KNOWN_STAGES[name] ?? name;
}

/** Stage names in display order: stage1..3 first, then others as first seen. */
function stageOrder(input: ReportInput): string[] {
  const seen: string[] = [];
  const add = (s: string): void => {
    if (!seen.includes(s)) seen.push(s);
  };
  for (const s of Object.keys(input.metrics?.stages ?? {})) add(s);
  for (const r of input.log) add(r.stage);
  const known = Object.keys(KNOWN_STAGES).filter((s) => seen.includes(s));
  return [...known, ...seen.filter((s) => !(s in KNOWN_STAGES))];
}

// ---- run.config access (the pipeline's resolved config; read defensively) -------------------

function at(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const k of path.split('.')) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}

function firstString(obj: unknown, paths: string[]): string | undefined {
  for (const p of paths) {
    const v = at(obj, p);
    if (typeof v === 'string' && v !== '') return v;
  }
  return undefined;
}

function domainName(config: unknown, side: 'source' | 'target'): string | undefined {
  return firstString(config, [`${side}.domain`, `${side}.name`, `${side}Domain`, `domains.${side}`, `data.${side}.domain`, `data.${side}.name`, side]);
}

// ---- durations from step records -------------------------------------------------------------

function stageSeconds(steps: StepRecord[]): number | undefined {
  const t = steps.map((s) => s.time).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  if (t.length < 2) return undefined;
  const span = t[t.length - 1]! - t[0]!;
  return span >= 0 ? span : undefined; // a clock set back mid-stage: no duration rather than a wrong one
}

// ---- small building blocks -------------------------------------------------------------------

function section(id: string, title: string, caption: string, body: string): string {
  return `<section id="${esc(id)}"><h2>${esc(title)}</h2>${caption ? `<p class="caption">${caption}</p>` : ''}${body}</section>`;
}

function card(inner: string, cls = ''): string {
  return `<div class="card${cls ? ' ' + cls : ''}">${inner}</div>`;
}

function accBar(v: number | undefined, lo: number): string {
  if (v === undefined) return '—';
  const w = Math.max(0, Math.min(1, (v - lo) / (1 - lo)));
  return `<span class="barcell">${pct(v)}<span class="bar" aria-hidden="true"><i style="width:${(100 * w).toFixed(1)}%"></i></span></span>`;
}

function finalStage(stages: string[], m: RunMetrics | null): string | undefined {
  const withTarget = stages.filter((s) => m?.stages[s]?.target_test);
  const known = withTarget.filter((s) => s in KNOWN_STAGES);
  return (known.length ? known : withTarget)[(known.length ? known : withTarget).length - 1];
}

// ---- sections --------------------------------------------------------------------------------

function header(input: ReportInput, stages: string[], stepsByStage: Map<string, StepRecord[]>): string {
  const run = input.run;
  const cfg = run?.config;
  const src = domainName(cfg, 'source');
  const tgt = domainName(cfg, 'target');
  const route = src || tgt ? `<div class="route"><b>${esc(src ?? '?')}</b><span class="arrow">→</span><b>${esc(tgt ?? '?')}</b></div>` : '';
  const durs = stages.map((s) => [s, stageSeconds(stepsByStage.get(s) ?? [])] as const).filter(([, d]) => d !== undefined) as Array<readonly [string, number]>;
  const total = durs.reduce((a, [, d]) => a + d, 0);
  const meta: Array<[string, string]> = [];
  if (run?.model) meta.push(['model', esc(run.model)]);
  if (run?.seed !== undefined) meta.push(['seed', esc(run.seed)]);
  if (run?.createdAt) {
    const d = new Date(run.createdAt);
    meta.push([
      'created',
      esc(
        Number.isNaN(d.getTime())
          ? run.createdAt
          : d
              .toISOString()
              .replace('T', ' ')
              .replace(/\.\d+Z$/, ' UTC'),
      ),
    ]);
  }
  if (durs.length) {
    meta.push(['training time', `${esc(duration(total))} <span class="sub">(${durs.map(([s, d]) => `${esc(s)} ${esc(duration(d))}`).join(' · ')})</span>`]);
  }
  const nSteps = input.log.filter((r) => r.type === 'step').length;
  if (nSteps) meta.push(['logged steps', int(nSteps)]);
  if (run?.adaptextVersion) meta.push(['adaptext', esc(run.adaptextVersion)]);
  return `<header class="top"><div><div class="eyebrow">adaptext · cross-domain transfer report</div><h1>Run report</h1>${route}</div>${
    meta.length ? `<dl class="meta">${meta.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`).join('')}</dl>` : ''
  }</header>`;
}

function sourceOnlyRow(m: RunMetrics): Metrics | undefined {
  const ab = m.ablation?.find((r) => /source[- ]?only|stage ?1\b/i.test(r.name));
  return ab?.target ?? m.stages.stage1?.target_test;
}

function kpis(input: ReportInput, stages: string[], stepsByStage: Map<string, StepRecord[]>): string {
  const m = input.metrics;
  if (!m) return '';
  const out: string[] = [];
  const fin = finalStage(stages, m);
  const finM = fin ? m.stages[fin]!.target_test! : undefined;
  if (finM) {
    const base = sourceOnlyRow(m);
    const d = base && fin !== 'stage1' ? finM.accuracy - base.accuracy : undefined;
    out.push(
      card(
        `<div class="label">Target accuracy · ${esc(stageTitle(fin!))}</div><div class="v">${pct(finM.accuracy)}</div><div class="d">macro-F1 ${fixed(finM.macroF1)}${
          d !== undefined ? ` · <span class="${d >= 0 ? 'up' : 'down'}">${deltaPt(d)}</span> vs source-only` : ''
        }</div>`,
        'kpi',
      ),
    );
  }
  const dc = stages.filter((s) => m.stages[s]?.domain_confusion);
  if (dc.length) {
    // before alignment = the first stage measured; after = stage 2 (the alignment stage) when
    // measured, else the last one.
    const afterName = dc.includes('stage2') && dc[0] !== 'stage2' ? 'stage2' : dc[dc.length - 1]!;
    const first = m.stages[dc[0]!]!.domain_confusion!;
    const last = m.stages[afterName]!.domain_confusion!;
    const v = dc.length > 1 ? `${fixed(first.accuracy, 2)} <small>→</small> ${fixed(last.accuracy, 2)}` : fixed(first.accuracy, 2);
    out.push(
      card(
        `<div class="label">Domain-classifier accuracy${dc.length > 1 ? ` · ${esc(dc[0]!)} → ${esc(afterName)}` : ''}</div><div class="v">${v}</div><div class="d">0.5 = domains indistinguishable · proxy A-distance ${fixed(first.proxyADistance, 2)}${
          dc.length > 1 ? ` → ${fixed(last.proxyADistance, 2)}` : ''
        }</div>`,
        'kpi',
      ),
    );
  }
  const bl = (m.baselines ?? []).slice().sort((a, b) => b.target.accuracy - a.target.accuracy)[0];
  if (bl) {
    const d = finM ? finM.accuracy - bl.target.accuracy : undefined;
    out.push(
      card(
        `<div class="label">Best baseline · ${esc(bl.name)}</div><div class="v">${pct(bl.target.accuracy)}</div><div class="d">macro-F1 ${fixed(bl.target.macroF1)}${
          d !== undefined ? ` · final model <span class="${d >= 0 ? 'up' : 'down'}">${deltaPt(d)}</span>` : ''
        }</div>`,
        'kpi',
      ),
    );
  }
  const totalSteps = input.log.filter((r) => r.type === 'step').length;
  const secs = stages.map((s) => stageSeconds(stepsByStage.get(s) ?? [])).filter((d): d is number => d !== undefined);
  if (secs.length) {
    out.push(
      card(
        `<div class="label">Training time</div><div class="v">${esc(duration(secs.reduce((a, b) => a + b, 0)))}</div><div class="d">${int(totalSteps)} logged steps over ${stages.filter((s) => (stepsByStage.get(s) ?? []).length).length} stage(s)</div>`,
        'kpi',
      ),
    );
  }
  return out.length ? `<div class="kpis">${out.join('')}</div>` : '';
}

function resultsSection(input: ReportInput, stages: string[]): string {
  const m = input.metrics;
  if (!m) return section('results', 'Results', '', `<p class="empty">No metrics.json in this run yet.</p>`);
  const parts: string[] = [];
  const withAny = stages.filter((s) => m.stages[s]);
  if (withAny.length) {
    const accs = withAny.map((s) => m.stages[s]!.target_test?.accuracy).filter((v): v is number => v !== undefined);
    const best = accs.length ? Math.max(...accs) : undefined;
    type Col = { head: string; get: (s: string) => number | undefined; fmt: (v: number | undefined) => string; best?: boolean };
    const allCols: Col[] = [
      { head: 'Target acc.', get: (s) => m.stages[s]!.target_test?.accuracy, fmt: (v) => pct(v), best: true },
      { head: 'Target macro-F1', get: (s) => m.stages[s]!.target_test?.macroF1, fmt: (v) => fixed(v) },
      { head: 'Source acc.', get: (s) => m.stages[s]!.source_test?.accuracy, fmt: (v) => pct(v) },
      { head: 'Source macro-F1', get: (s) => m.stages[s]!.source_test?.macroF1, fmt: (v) => fixed(v) },
      { head: 'Domain-clf acc.', get: (s) => m.stages[s]!.domain_confusion?.accuracy, fmt: (v) => fixed(v) },
      { head: 'Proxy A-dist.', get: (s) => m.stages[s]!.domain_confusion?.proxyADistance, fmt: (v) => fixed(v) },
    ];
    const cols = allCols.filter((c) => withAny.some((s) => c.get(s) !== undefined)); // drop columns this run never measured
    const rows = withAny
      .map(
        (s) =>
          `<tr><td>${esc(stageTitle(s))}</td>${cols
            .map((c) => {
              const v = c.get(s);
              return `<td class="n${c.best && v !== undefined && v === best ? ' best' : ''}">${c.fmt(v)}</td>`;
            })
            .join('')}</tr>`,
      )
      .join('');
    parts.push(
      card(
        `<h3>After each stage</h3><div class="tablewrap"><table><thead><tr><th>Stage</th>${cols.map((c) => `<th class="n">${c.head}</th>`).join('')}</tr></thead><tbody>${rows}</tbody></table></div>`,
      ),
    );
  }
  const ab = m.ablation ?? [];
  const bl = m.baselines ?? [];
  if (ab.length || bl.length) {
    const all = [...ab.map((r) => r.target.accuracy), ...bl.map((r) => r.target.accuracy)];
    const best = Math.max(...all);
    const bestF1 = Math.max(...ab.map((r) => r.target.macroF1), ...bl.map((r) => r.target.macroF1));
    const lo = Math.max(0, Math.min(0.5, Math.floor((Math.min(...all) - 0.05) * 10) / 10));
    const ref = ab.find((r) => /source[- ]?only/i.test(r.name))?.target ?? ab[0]?.target;
    const row = (r: { name: string; description?: string; target: Metrics; domain_confusion?: DomainConfusion }, kind: 'ours' | 'baseline', sep: boolean): string => {
      const d = ref && r.target !== ref ? r.target.accuracy - ref.accuracy : undefined;
      return `<tr${sep ? ' class="sep"' : ''}><td>${esc(r.name)}<span class="tag${kind === 'ours' ? ' ours' : ''}">${kind === 'ours' ? 'adaptext' : 'baseline'}</span></td><td class="desc">${esc(r.description ?? '')}</td><td class="n${r.target.accuracy === best ? ' best' : ''}">${accBar(r.target.accuracy, lo)}</td><td class="n${r.target.macroF1 === bestF1 ? ' best' : ''}">${fixed(r.target.macroF1)}</td><td class="n">${d === undefined ? '—' : `<span class="${d >= 0 ? 'up' : 'down'}">${deltaPt(d)}</span>`}</td><td class="n">${fixed(r.domain_confusion?.accuracy)}</td><td class="n">${int(r.target.n)}</td></tr>`;
    };
    const rows = [...ab.map((r) => row(r, 'ours', false)), ...bl.map((r, i) => row(r, 'baseline', i === 0 && ab.length > 0))].join('');
    parts.push(
      card(
        `<h3>${ab.length ? 'Ablation' : 'Baselines'} on the target test set</h3><div class="tablewrap"><table><thead><tr><th>Setting</th><th>What it is</th><th class="n">Accuracy</th><th class="n">Macro-F1</th><th class="n">Δ acc.${ref && ab.length ? ' vs ' + esc(ab.find((r) => r.target === ref)?.name ?? '') : ''}</th><th class="n">Domain-clf acc.</th><th class="n">n</th></tr></thead><tbody>${rows}</tbody></table></div>${
          ab.length ? '' : '<p class="note">This run has no ablation (run with --ablation to compare stages side by side).</p>'
        }${new Set([...ab, ...bl].map((r) => r.target.n)).size > 1 ? '<p class="note">Rows were scored on test sets of different sizes (column n): compare them with care.</p>' : ''}`,
      ),
    );
  } else if (withAny.length) {
    parts.push(`<p class="note">No ablation or baselines in this run.</p>`);
  }
  return section(
    'results',
    'Results',
    'Accuracy and macro-F1 (unweighted mean of per-class F1) on held-out test sets. Domain-clf acc. is the held-out accuracy of a fresh logistic-regression classifier telling source from target features: 0.5 means the encoder no longer separates the domains.',
    `<div class="stack">${parts.join('')}</div>`,
  );
}

const LOSS_SERIES: Array<{ key: keyof StepRecord; name: string; color: string; dash?: string }> = [
  { key: 'loss', name: 'total loss', color: PALETTE.black },
  { key: 'lossTask', name: 'task (cross-entropy)', color: PALETTE.blue },
  { key: 'lossMlm', name: 'masked LM', color: PALETTE.green },
  { key: 'lossDomain', name: 'domain discriminator', color: PALETTE.vermillion, dash: '6 4' },
  { key: 'lossConfusion', name: 'domain confusion (encoder)', color: PALETTE.purple, dash: '2 3' },
];

function epochMarks(steps: StepRecord[]): Array<{ x: number; label: string }> {
  const marks: Array<{ x: number; label: string }> = [];
  for (let i = 1; i < steps.length; i++) {
    const e = steps[i]!.epoch;
    if (typeof e === 'number' && Math.floor(e) !== Math.floor(steps[i - 1]!.epoch))
      marks.push({ x: steps[i]!.step, label: `epoch ${Math.floor(e) + (Number.isInteger(steps[0]!.epoch) && steps[0]!.epoch === 0 ? 1 : 0)}` });
  }
  return marks.length <= 12 ? marks : [];
}

function curvesSection(input: ReportInput, stages: string[], stepsByStage: Map<string, StepRecord[]>, evalsByStage: Map<string, EvalRecord[]>): string {
  const blocks: string[] = [];
  for (const s of stages) {
    const steps = stepsByStage.get(s) ?? [];
    const evals = (evalsByStage.get(s) ?? []).filter((e) => e.split === 'validation');
    if (steps.length === 0 && evals.length === 0) continue;
    const inner: string[] = [`<h3>${esc(stageTitle(s))}</h3>`];
    if (steps.length) {
      const series: Series[] = [];
      const items: LegendItem[] = [];
      for (const ls of LOSS_SERIES) {
        const pts = steps.filter((r) => typeof r[ls.key] === 'number').map((r) => [r.step, r[ls.key] as number] as [number, number]);
        // The total equals the task loss when it is the only component: draw it once.
        if (ls.key === 'loss' && steps.every((r) => r.lossMlm === undefined && r.lossDomain === undefined) && steps.some((r) => r.lossTask !== undefined)) continue;
        if (pts.length === 0) continue;
        series.push({ name: ls.name, color: ls.color, points: pts, smooth: true, ...(ls.dash ? { dash: ls.dash } : {}) });
        items.push({ name: ls.name, color: ls.color, kind: ls.dash ? 'dash' : 'line' });
      }
      const lrs = steps.map((r) => r.lr).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
      const peakLr = lrs.length ? maxOf(lrs) : undefined;
      inner.push(legend(items));
      inner.push(lineChart({ series, xLabel: 'training step', yLabel: 'loss', ariaLabel: `loss curves of ${s}`, xMarks: epochMarks(steps) }));
      const gn = steps.map((r) => r.gradNorm).filter((v): v is number => typeof v === 'number');
      inner.push(
        `<p class="chartnote">${int(steps.length)} steps · thick lines: exponential moving average; faint: raw per-step values${
          gn.length ? ` · median grad-norm ${fixed(gn.slice().sort((a, b) => a - b)[gn.length >> 1], 2)}` : ''
        }${peakLr !== undefined ? ` · peak lr ${esc(peakLr.toExponential(1))}` : ''}</p>`,
      );
    }
    if (evals.length) {
      const series: Series[] = [];
      const items: LegendItem[] = [];
      for (const d of ['source', 'target'] as const) {
        const ev = evals.filter((e) => e.domain === d).sort((a, b) => a.step - b.step);
        if (!ev.length) continue;
        series.push({ name: `${d} accuracy`, color: DOMAIN_COLORS[d], points: ev.map((e) => [e.step, e.metrics.accuracy]), markers: true });
        series.push({ name: `${d} macro-F1`, color: DOMAIN_COLORS[d], dash: '5 4', points: ev.map((e) => [e.step, e.metrics.macroF1]), markers: true });
        items.push({ name: `${d} validation accuracy`, color: DOMAIN_COLORS[d] }, { name: `${d} validation macro-F1`, color: DOMAIN_COLORS[d], kind: 'dash' });
      }
      inner.push(`<h4>Validation during training</h4>${legend(items)}`);
      inner.push(lineChart({ series, xLabel: 'training step', yLabel: 'score', ariaLabel: `validation metrics of ${s}`, yScale: 'linear', height: 240 }));
    }
    blocks.push(card(inner.join('')));
  }
  if (!blocks.length) return section('curves', 'Training curves', '', `<p class="empty">No training steps were logged (log.jsonl missing or empty).</p>`);
  return section(
    'curves',
    'Training curves',
    'Loss components per stage, from log.jsonl. The y-axis switches to a log scale when the typical values of the components differ by more than 5×.',
    `<div class="grid2">${blocks.join('')}</div>`,
  );
}

function alignmentSection(input: ReportInput, stages: string[], stepsByStage: Map<string, StepRecord[]>): string {
  const m = input.metrics;
  const blocks: string[] = [];
  for (const s of stages) {
    const steps = (stepsByStage.get(s) ?? []).filter((r) => typeof r.discAcc === 'number' || typeof r.lambda === 'number');
    if (!steps.length) continue;
    const series: Series[] = [];
    const items: LegendItem[] = [];
    const disc = steps.filter((r) => typeof r.discAcc === 'number').map((r) => [r.step, r.discAcc!] as [number, number]);
    const lam = steps.filter((r) => typeof r.lambda === 'number').map((r) => [r.step, r.lambda!] as [number, number]);
    if (disc.length) {
      series.push({ name: 'discriminator accuracy', color: PALETTE.purple, points: disc, smooth: true });
      items.push({ name: 'discriminator accuracy (on the training batch)', color: PALETTE.purple });
    }
    if (lam.length) {
      series.push({ name: 'GRL λ', color: PALETTE.sky, points: lam, dash: '6 4' });
      items.push({ name: 'gradient-reversal λ', color: PALETTE.sky, kind: 'dash' });
    }
    const lastDisc = disc.length ? disc.slice(-Math.max(1, Math.floor(disc.length / 10))).reduce((a, p) => a + p[1], 0) / Math.max(1, Math.floor(disc.length / 10)) : undefined;
    blocks.push(
      card(
        `<h3>Adversarial training · ${esc(stageTitle(s))}</h3>${legend(items)}${lineChart({
          series,
          xLabel: 'training step',
          yLabel: 'accuracy / λ',
          ariaLabel: `discriminator accuracy and lambda during ${s}`,
          yMin: 0,
          yMax: 1,
          yScale: 'linear',
          refLines: [{ y: 0.5, label: 'chance' }],
        })}<p class="chartnote">λ follows the Ganin schedule 2/(1+e^(−10p))−1. A discriminator held near 0.5 means the features fool it.${
          lastDisc !== undefined ? ` Mean over the last 10% of steps: ${fixed(lastDisc, 3)}.` : ''
        }</p>`,
      ),
    );
  }
  const dcStages = m ? stages.filter((s) => m.stages[s]?.domain_confusion) : [];
  // Ablation rows usually repeat a stage's measurement (source-only = stage 1, …): show only
  // those that add a new one (few-shot only, ablation-only runs). Rows name their stage folder;
  // files written before they did are matched by value.
  const same = (a: DomainConfusion, b: DomainConfusion): boolean => a.accuracy === b.accuracy && a.proxyADistance === b.proxyADistance && a.n === b.n;
  const repeatsStage = (r: NonNullable<RunMetrics['ablation']>[number]): boolean =>
    r.stage !== undefined ? dcStages.includes(r.stage) : dcStages.some((s) => same(m!.stages[s]!.domain_confusion!, r.domain_confusion!));
  const dcAbl = m ? (m.ablation ?? []).filter((r) => r.domain_confusion && !repeatsStage(r)) : [];
  if (dcStages.length || dcAbl.length) {
    const dcLabel = (s: string, i: number): string => `${stageTitle(s).replace(/ ·.*$/, '')}${s === 'stage1' || (i === 0 && s !== 'stage2') ? ' (before)' : s === 'stage2' ? ' (aligned)' : ''}`;
    const bars = [
      ...dcStages.map((s, i) => ({ label: dcLabel(s, i), value: m!.stages[s]!.domain_confusion!.accuracy, color: i === 0 ? PALETTE.vermillion : PALETTE.blue })),
      ...dcAbl.map((r) => ({ label: r.name, value: r.domain_confusion!.accuracy, color: PALETTE.grey })),
    ];
    const rows = [...dcStages.map((s, i) => [dcLabel(s, i), m!.stages[s]!.domain_confusion!] as const), ...dcAbl.map((r) => [r.name, r.domain_confusion!] as const)]
      .map(([name, d]) => `<tr><td>${esc(name)}</td><td class="n">${fixed(d.accuracy)}</td><td class="n">${fixed(d.proxyADistance)}</td><td class="n">${int(d.n)}</td></tr>`)
      .join('');
    blocks.push(
      card(
        `<h3>Domain classifier on held-out features</h3>${barChart({
          bars,
          xLabel: 'held-out accuracy of a fresh source-vs-target classifier',
          ariaLabel: 'domain classifier accuracy per stage',
          refLines: [{ x: 0.5, label: 'indistinguishable (0.5)' }],
        })}<div class="tablewrap"><table><thead><tr><th>Features of</th><th class="n">Accuracy</th><th class="n">Proxy A-distance</th><th class="n">held-out n</th></tr></thead><tbody>${rows}</tbody></table></div><p class="chartnote">Proxy A-distance = 2(1 − 2ε), ε = held-out error: 2 = perfectly separable, 0 = indistinguishable.</p>`,
      ),
    );
  }
  const pr = m?.projection;
  if (pr && ((pr.before?.length ?? 0) > 0 || (pr.after?.length ?? 0) > 0)) {
    const labels = [...new Set([...(pr.before ?? []), ...(pr.after ?? [])].map((p) => p.label).filter((l): l is string => typeof l === 'string'))];
    const shapeOf = (l: string | undefined): number => (l === undefined ? 0 : Math.max(0, labels.indexOf(l)));
    const evr = pr.explainedVarianceRatio;
    const axis = (which: 'before' | 'after', i: number): string => {
      const r = evr?.[which]?.[i];
      return `PC ${i + 1}${typeof r === 'number' ? ` (${pct(r, 0)} of variance)` : ''}`;
    };
    const plot = (which: 'before' | 'after', title: string): string => {
      const pts = pr[which] ?? [];
      if (!pts.length) return card(`<h3>${esc(title)}</h3><p class="empty">No points.</p>`);
      const centroid = (d: 'source' | 'target') => {
        const q = pts.filter((p) => p.domain === d);
        return q.length ? { x: q.reduce((a, p) => a + p.x, 0) / q.length, y: q.reduce((a, p) => a + p.y, 0) / q.length, color: DOMAIN_COLORS[d], label: `${d} centroid` } : undefined;
      };
      return card(
        `<h3>${esc(title)}</h3>${scatterPlot({
          points: pts.map((p) => ({ x: p.x, y: p.y, color: DOMAIN_COLORS[p.domain], shape: shapeOf(p.label), title: `${p.domain}${p.label !== undefined ? ' · ' + p.label : ''}` })),
          xLabel: axis(which, 0),
          yLabel: axis(which, 1),
          ariaLabel: `PCA of pooled features ${which} alignment`,
          highlights: [centroid('source'), centroid('target')].filter((c): c is NonNullable<typeof c> => c !== undefined),
        })}<p class="chartnote">${int(pts.filter((p) => p.domain === 'source').length)} source · ${int(pts.filter((p) => p.domain === 'target').length)} target points; ⊕ marks each domain's centroid.</p>`,
      );
    };
    const items: LegendItem[] = [
      { name: 'source domain', color: DOMAIN_COLORS.source, kind: 'dot' },
      { name: 'target domain', color: DOMAIN_COLORS.target, kind: 'dot' },
      ...(labels.length > 1 ? labels.slice(0, 4).map((l, i) => ({ name: `label: ${l}`, color: '#3a4450', kind: (['circle', 'triangle', 'square', 'diamond'] as const)[i] })) : []),
    ];
    blocks.push(
      `<div class="card" style="grid-column:1/-1"><h3>Pooled features, 2-D PCA</h3>${legend(items)}<div class="grid2">${plot('before', 'Before alignment')}${plot('after', 'After alignment')}</div><p class="chartnote">Each panel is a principal-component projection of the pooled encoder features of held-out source and target texts. Overlapping clouds mean the encoder maps both domains alike.</p></div>`,
    );
  }
  if (!blocks.length) return '';
  return section('alignment', 'Domain alignment', 'How far the encoder separates the two domains, before and after the adversarial alignment stage.', `<div class="grid2">${blocks.join('')}</div>`);
}

function confusionTable(mt: Metrics): string {
  const k = mt.labels.length;
  // Long label names are cut with an ellipsis; the full name is in the tooltip.
  const lbl = (l: string): string => `<span class="lbl" title="${esc(l)}">${esc(l)}</span>`;
  const head = mt.labels.map((l) => `<th class="colh">${lbl(l)}</th>`).join('');
  const rows = mt.confusion
    .map((row, i) => {
      const tot = row.reduce((a, b) => a + b, 0);
      const cells = row
        .map((c, j) => {
          const f = tot > 0 ? c / tot : 0;
          const alpha = 0.08 + 0.82 * f;
          const diag = i === j;
          const bg = diag ? `rgba(0,114,178,${alpha.toFixed(3)})` : `rgba(213,94,0,${(0.06 + 0.6 * f).toFixed(3)})`;
          const fg = (diag ? alpha : 0.06 + 0.6 * f) > 0.55 ? '#fff' : '#1b2330';
          return `<td class="cell" style="background:${bg};color:${fg}" title="true ${esc(mt.labels[i])}, predicted ${esc(mt.labels[j])}">${int(c)}<small>${pct(f, 0)}</small></td>`;
        })
        .join('');
      return `<tr>${i === 0 ? `<th rowspan="${k}" class="axis-t" style="writing-mode:vertical-rl;transform:rotate(180deg)">true</th>` : ''}<th class="rowh">${lbl(mt.labels[i]!)}</th>${cells}</tr>`;
    })
    .join('');
  return `<div class="tablewrap"><table class="cm"><thead><tr><th></th><th></th><th colspan="${k}" class="axis-t" style="text-align:center">predicted</th></tr><tr><th></th><th></th>${head}</tr></thead><tbody>${rows}</tbody></table></div>`;
}

function metricsBlock(title: string, mt: Metrics, wide: boolean): string {
  const rows = mt.perClass
    .map((c) => `<tr><td>${esc(c.label)}</td><td class="n">${fixed(c.precision)}</td><td class="n">${fixed(c.recall)}</td><td class="n">${fixed(c.f1)}</td><td class="n">${int(c.support)}</td></tr>`)
    .join('');
  const table = `<div class="tablewrap"><table><thead><tr><th>Class</th><th class="n">Precision</th><th class="n">Recall</th><th class="n">F1</th><th class="n">Support</th></tr></thead><tbody>${rows}</tbody></table></div>`;
  const line = `<div class="metricline"><span>accuracy <b>${pct(mt.accuracy)}</b></span><span>macro-F1 <b>${fixed(mt.macroF1)}</b></span><span>n <b>${int(mt.n)}</b></span></div>`;
  if (wide) return `<div><h4>${esc(title)}</h4>${line}<div class="split"><div>${table}</div><div>${confusionTable(mt)}</div></div></div>`;
  return `<div><h4>${esc(title)}</h4>${line}${table}<h4>Confusion matrix</h4>${confusionTable(mt)}</div>`;
}

function perClassSection(input: ReportInput, stages: string[]): string {
  const m = input.metrics;
  if (!m) return '';
  const blocks: string[] = [];
  for (const s of stages) {
    const st = m.stages[s];
    if (!st || (!st.target_test && !st.source_test)) continue;
    const inner: string[] = [];
    // Up to 3 classes: target and source side by side. More: one domain per row, its table and
    // matrix side by side (a 5x5 matrix does not fit in half the page).
    const wide = Math.max(st.target_test?.labels.length ?? 0, st.source_test?.labels.length ?? 0) > 3;
    if (st.target_test) inner.push(metricsBlock('Target test', st.target_test, wide));
    if (st.source_test) inner.push(metricsBlock('Source test', st.source_test, wide));
    blocks.push(card(`<h3>${esc(stageTitle(s))}</h3><div class="${wide ? 'stack' : 'grid2'}">${inner.join('')}</div>`));
  }
  if (!blocks.length) return '';
  return section(
    'per-class',
    'Per-class metrics',
    'Precision, recall and F1 per class (zero when a class is never predicted), and confusion matrices with counts and row percentages (rows: true class; blue diagonal: correct, orange: errors).',
    `<div class="stack">${blocks.join('')}</div>`,
  );
}

function vocabSection(input: ReportInput): string {
  const v = input.metrics?.vocab;
  if (!v) return '';
  const red = v.fragmentationBefore > 0 ? 1 - v.fragmentationAfter / v.fragmentationBefore : undefined;
  const ex = (v.examples ?? []).slice(0, 60);
  return section(
    'vocab',
    'Vocabulary expansion',
    'Target-domain sub-words added to the tokenizer before alignment; each new embedding row starts as the mean of its old sub-token embeddings (FVT).',
    card(
      `<div class="kpis" style="margin-top:0"><div class="kpi"><div class="label">Tokens added</div><div class="v">${int(v.added)}</div></div><div class="kpi"><div class="label">Sub-words per target word</div><div class="v">${fixed(v.fragmentationBefore, 2)} <small>→</small> ${fixed(v.fragmentationAfter, 2)}</div>${
        red !== undefined ? `<div class="d">${red >= 0 ? `${(100 * red).toFixed(1)}% fewer` : `${(-100 * red).toFixed(1)}% more`} sub-words</div>` : ''
      }</div></div>${ex.length ? `<h4>Examples of added tokens</h4><div class="chips">${ex.map((e) => `<span class="chip">${esc(e)}</span>`).join('')}</div>` : ''}`,
    ),
  );
}

function configSection(input: ReportInput): string {
  if (input.run?.config === undefined) return '';
  return section('config', 'Configuration', '', `<details><summary>Resolved pipeline configuration (run.json)</summary><pre>${esc(JSON.stringify(input.run.config, null, 2))}</pre></details>`);
}

/** Render the whole report page from parsed run-folder contents. */
export function renderReport(input: ReportInput): string {
  resetChartIds();
  const stages = stageOrder(input);
  const stepsByStage = new Map<string, StepRecord[]>();
  const evalsByStage = new Map<string, EvalRecord[]>();
  for (const r of input.log) {
    if (r.type === 'step') {
      if (!stepsByStage.has(r.stage)) stepsByStage.set(r.stage, []);
      stepsByStage.get(r.stage)!.push(r);
    } else if (r.type === 'eval') {
      if (!evalsByStage.has(r.stage)) evalsByStage.set(r.stage, []);
      evalsByStage.get(r.stage)!.push(r);
    }
  }
  for (const v of stepsByStage.values()) v.sort((a, b) => a.step - b.step);
  const sections = [
    resultsSection(input, stages),
    curvesSection(input, stages, stepsByStage, evalsByStage),
    alignmentSection(input, stages, stepsByStage),
    perClassSection(input, stages),
    vocabSection(input),
    configSection(input),
  ].filter((s) => s !== '');
  const toc = sections
    .map((s) => /<section id="([^"]+)"><h2>([^<]+)<\/h2>/.exec(s))
    .filter((x): x is RegExpExecArray => x !== null)
    .map((x) => `<a href="#${x[1]}">${x[2]}</a>`)
    .join('');
  const notes = input.notes ?? [];
  const src = domainName(input.run?.config, 'source');
  const tgt = domainName(input.run?.config, 'target');
  const title = `adaptext report${src || tgt ? ` · ${src ?? '?'} → ${tgt ?? '?'}` : ''}`;
  return (
    [
      '<!DOCTYPE html>',
      '<html lang="en">',
      '<head>',
      '<meta charset="utf-8">',
      '<meta name="viewport" content="width=device-width, initial-scale=1">',
      `<meta name="generator" content="adaptext${input.run?.adaptextVersion ? ' ' + esc(input.run.adaptextVersion) : ''}">`,
      `<title>${esc(title)}</title>`,
      `<style>${REPORT_CSS}</style>`,
      '</head>',
      '<body>',
      '<main>',
      header(input, stages, stepsByStage),
      toc ? `<nav class="toc" aria-label="sections">${toc}</nav>` : '',
      notes.length ? `<div class="warn">${notes.map((n) => esc(n)).join('<br>')}</div>` : '',
      kpis(input, stages, stepsByStage),
      ...sections,
      `<footer>Generated by adaptext${input.run?.adaptextVersion ? ' ' + esc(input.run.adaptextVersion) : ''} from run.json, metrics.json and log.jsonl. Self-contained page: no scripts, fonts or network requests.</footer>`,
      '</main>',
      '</body>',
      '</html>',
    ]
      .filter((s) => s !== '')
      .join('\n') + '\n'
  );
}

/** Read a run folder and write RUN/report.html atomically (temp file + rename). Returns its path. */
export function writeReport(runDir: string): string {
  const input = readRunFolder(runDir);
  const html = renderReport(input);
  const path = join(runDir, 'report.html');
  writeFileAtomic(path, html);
  return path;
}
