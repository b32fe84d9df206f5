// Inline SVG charts for the report, generated as strings: no scripts, no external assets.
// Every chart scales with its container (viewBox + width 100%), draws light grid lines with
// tick labels on both axes, and takes colours from the Okabe–Ito palette, which stays
// distinguishable under the common colour-vision deficiencies. Legends are HTML (they wrap
// on narrow screens); `legend()` builds one with the same swatches.
import { esc } from './html.js';

/** Okabe & Ito (2008) colour-blind-safe palette. */
export const PALETTE = {
  black: '#000000',
  orange: '#E69F00',
  sky: '#56B4E9',
  green: '#009E73',
  yellow: '#F0E442',
  blue: '#0072B2',
  vermillion: '#D55E00',
  purple: '#CC79A7',
  grey: '#5F6B76',
} as const;

export const DOMAIN_COLORS = { source: PALETTE.blue, target: PALETTE.orange } as const;

export interface Series {
  name: string;
  color: string;
  points: Array<[number, number]>;
  /** SVG stroke-dasharray, e.g. "5 4". */
  dash?: string;
  /** Draw the raw values faintly under an EMA-smoothed line (noisy per-step values). */
  smooth?: boolean;
  /** Draw a dot on each point (sparse series such as per-epoch evaluations). */
  markers?: boolean;
}

export interface LineChartOptions {
  series: Series[];
  xLabel: string;
  yLabel: string;
  ariaLabel: string;
  yMin?: number;
  yMax?: number;
  /** 'auto' (default): log scale when all values are > 0 and span more than 8x. */
  yScale?: 'linear' | 'log' | 'auto';
  refLines?: Array<{ y: number; label: string }>;
  /** Vertical markers (e.g. epoch starts). */
  xMarks?: Array<{ x: number; label: string }>;
  width?: number;
  height?: number;
}

const FONT = 'font-family="inherit"';

/** "Nice" tick values covering [lo, hi] (1-2-2.5-5 steps), about `count` of them. */
/**
 * Smallest / largest of many numbers (NaN for none). Math.min(...xs) passes every value as an
 * argument and overflows the call stack from ~125k values (a stage with that many logged steps).
 */
export function minOf(xs: Iterable<number>): number {
  let m = Infinity;
  let any = false;
  for (const x of xs) {
    any = true;
    if (x < m) m = x;
  }
  return any ? m : NaN;
}

export function maxOf(xs: Iterable<number>): number {
  let m = -Infinity;
  let any = false;
  for (const x of xs) {
    any = true;
    if (x > m) m = x;
  }
  return any ? m : NaN;
}

export function niceTicks(lo: number, hi: number, count = 5): { ticks: number[]; step: number } {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) {
    lo = 0;
    hi = 1;
  }
  // A range of a few ulps (0.57 vs 0.5700000000000001) counts as empty: its step would be too
  // small to advance `v`, and the tick loop would never end.
  if (!(hi - lo > Math.max(Math.abs(lo), Math.abs(hi)) * 1e-9)) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  const raw = (hi - lo) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  const step = (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10) * mag;
  const ticks: number[] = [];
  // Integer tick indices, so the loop always terminates (at most ~count+2 ticks).
  const first = Math.floor(lo / step + 1e-9);
  const last = Math.floor(hi / step + 1e-9);
  for (let k = first; k <= last && ticks.length < 1000; k++) {
    const v = k * step;
    ticks.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  }
  if (ticks.length === 0) ticks.push(first * step);
  if (ticks[0]! > lo + 1e-12) ticks.unshift(ticks[0]! - step);
  if (ticks[ticks.length - 1]! < hi - 1e-12) ticks.push(ticks[ticks.length - 1]! + step);
  return { ticks, step };
}

/** Tick label: enough decimals for the step; 12000 → "12k". */
export function tickLabel(v: number, step: number): string {
  if (Math.abs(v) >= 10000 && step >= 1000) {
    const k = v / 1000;
    return `${Number.isInteger(k) ? k : k.toFixed(1)}k`;
  }
  const decimals = Math.max(0, Math.min(6, -Math.floor(Math.log10(step) + 1e-9) + (step / 10 ** Math.floor(Math.log10(step)) === 2.5 ? 1 : 0)));
  return v.toFixed(decimals).replace(/^-0(\.0+)?$/, '0');
}

function logTicks(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (v >= lo * 0.999 && v <= hi * 1.001) out.push(v);
    }
  }
  return out;
}

function logLabel(v: number): string {
  if (v >= 1000) return `${v / 1000}k`;
  return v >= 1 ? String(v) : String(Number(v.toPrecision(1)));
}

/** Debiased exponential moving average (as TensorBoard's smoothing), span ≈ n/30, capped. */
export function ema(values: number[]): number[] {
  const span = Math.max(1, Math.min(60, values.length / 30));
  const a = 2 / (span + 1);
  const out: number[] = [];
  let m = 0;
  let w = 0;
  for (const v of values) {
    m = (1 - a) * m + a * v;
    w = (1 - a) * w + a;
    out.push(m / w);
  }
  return out;
}

/** Keep at most `max` points, evenly spaced in index, always keeping the last. */
function thin<T>(pts: T[], max: number): T[] {
  if (pts.length <= max) return pts;
  const out: T[] = [];
  const stride = pts.length / max;
  for (let i = 0; i < max; i++) out.push(pts[Math.floor(i * stride)]!);
  out[out.length - 1] = pts[pts.length - 1]!;
  return out;
}

/** Clip-path ids must be unique within a page; renderReport resets the counter per page so
 * the same input always renders byte-identical HTML. */
let clipCounter = 0;
export function resetChartIds(): void {
  clipCounter = 0;
}

const r2 = (v: number): string => (Math.round(v * 10) / 10).toString();

export function lineChart(o: LineChartOptions): string {
  const W = o.width ?? 640;
  const H = o.height ?? 300;
  const m = { l: 58, r: 18, t: 14, b: 44 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const all = o.series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  if (all.length === 0) return `<p class="empty">No data to plot.</p>`;
  let x0 = minOf(all.map((p) => p[0]));
  let x1 = maxOf(all.map((p) => p[0]));
  if (x1 === x0) {
    x0 -= 1;
    x1 += 1;
  }
  // y range: every smoothed/clean value, but only the 1st–99th percentile of noisy raw series,
  // so a few outlier steps do not squash the curves (they are clipped at the plot edge).
  const core: number[] = [];
  for (const sr of o.series) {
    const v = sr.points.map((p) => p[1]).filter(Number.isFinite);
    if (v.length === 0) continue;
    if (sr.smooth === true && v.length > 30) {
      const sorted = v.slice().sort((a, b) => a - b);
      core.push(sorted[Math.floor(0.01 * (sorted.length - 1))]!, sorted[Math.ceil(0.99 * (sorted.length - 1))]!);
      for (const x of ema(v)) core.push(x);
    } else for (const x of v) core.push(x);
  }
  const refs = (o.refLines ?? []).map((r) => r.y);
  const yLo = Math.min(minOf(core), minOf(refs.length ? refs : [Infinity]));
  const yHi = Math.max(maxOf(core), maxOf(refs.length ? refs : [-Infinity]));
  // Log scale when the series live on different scales (e.g. MLM loss ≈ 4 vs task loss ≈ 0.3),
  // judged on their medians, not on outliers.
  const medians = o.series
    .map((sr) =>
      sr.points
        .map((p) => p[1])
        .filter(Number.isFinite)
        .sort((a, b) => a - b),
    )
    .filter((v) => v.length > 0)
    .map((v) => v[v.length >> 1]!);
  const useLog = o.yScale === 'log' || (o.yScale !== 'linear' && o.yMin === undefined && yLo > 0 && medians.length > 1 && Math.max(...medians) / Math.min(...medians) > 5);

  let yTicks: number[];
  let yStep = 1;
  let ty: (v: number) => number;
  let yFrom: number;
  let yTo: number;
  if (useLog) {
    yFrom = 10 ** (Math.floor(Math.log10(yLo) * 4) / 4);
    yTo = 10 ** (Math.ceil(Math.log10(yHi) * 4) / 4);
    yTicks = logTicks(yFrom, yTo);
    const l0 = Math.log10(yFrom);
    const l1 = Math.log10(yTo);
    ty = (v) => m.t + ph - ((Math.log10(Math.max(v, yFrom)) - l0) / (l1 - l0)) * ph;
  } else {
    const lo = o.yMin ?? (yLo >= 0 && yLo < 0.35 * yHi ? 0 : yLo);
    const hi = o.yMax ?? yHi;
    const t = niceTicks(lo, hi, 5);
    yTicks = t.ticks.filter((v) => (o.yMin === undefined || v >= o.yMin - 1e-12) && (o.yMax === undefined || v <= o.yMax + 1e-12));
    yStep = t.step;
    yFrom = Math.min(yTicks[0]!, lo);
    yTo = Math.max(yTicks[yTicks.length - 1]!, hi);
    ty = (v) => m.t + ph - ((v - yFrom) / (yTo - yFrom)) * ph;
  }
  const xt = niceTicks(x0, x1, 6);
  const xTicks = xt.ticks.filter((v) => v >= x0 - 1e-9 && v <= x1 + 1e-9);
  const tx = (v: number): number => m.l + ((v - x0) / (x1 - x0)) * pw;

  const parts: string[] = [];
  const clipId = `c${(clipCounter++).toString(36)}`;
  parts.push(`<svg class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(o.ariaLabel)}" ${FONT}>`);
  parts.push(`<defs><clipPath id="${clipId}"><rect x="${m.l}" y="${m.t - 4}" width="${pw + 4}" height="${ph + 8}"/></clipPath></defs>`);
  parts.push(`<rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}" fill="#fff"/>`);
  for (const v of yTicks) {
    const y = r2(ty(v));
    parts.push(`<line x1="${m.l}" x2="${m.l + pw}" y1="${y}" y2="${y}" class="grid"/>`);
    parts.push(`<text x="${m.l - 7}" y="${y}" class="tick" text-anchor="end" dominant-baseline="middle">${esc(useLog ? logLabel(v) : tickLabel(v, yStep))}</text>`);
  }
  for (const v of xTicks) {
    const x = r2(tx(v));
    parts.push(`<line x1="${x}" x2="${x}" y1="${m.t}" y2="${m.t + ph}" class="grid"/>`);
    parts.push(`<text x="${x}" y="${m.t + ph + 16}" class="tick" text-anchor="middle">${esc(tickLabel(v, xt.step))}</text>`);
  }
  for (const mk of o.xMarks ?? []) {
    if (mk.x <= x0 || mk.x > x1) continue;
    const x = r2(tx(mk.x));
    parts.push(`<line x1="${x}" x2="${x}" y1="${m.t}" y2="${m.t + ph}" class="mark"/>`);
    parts.push(`<text x="${Number(x) + 3}" y="${m.t + 10}" class="marklabel">${esc(mk.label)}</text>`);
  }
  for (const rl of o.refLines ?? []) {
    const y = r2(ty(rl.y));
    parts.push(`<line x1="${m.l}" x2="${m.l + pw}" y1="${y}" y2="${y}" class="ref"/>`);
    parts.push(`<text x="${m.l + pw - 4}" y="${Number(y) - 4}" class="reflabel" text-anchor="end">${esc(rl.label)}</text>`);
  }
  parts.push(`<line x1="${m.l}" x2="${m.l + pw}" y1="${m.t + ph}" y2="${m.t + ph}" class="axis"/>`);
  parts.push(`<line x1="${m.l}" x2="${m.l}" y1="${m.t}" y2="${m.t + ph}" class="axis"/>`);

  const path = (pts: Array<[number, number]>): string =>
    thin(pts, 700)
      .map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${r2(tx(x))} ${r2(ty(y))}`)
      .join('');
  parts.push(`<g clip-path="url(#${clipId})">`);
  for (const s of o.series) {
    const pts = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!useLog || y > 0));
    if (pts.length === 0) continue;
    const dash = s.dash ? ` stroke-dasharray="${s.dash}"` : '';
    const smooth = s.smooth === true && pts.length > 30;
    if (smooth) {
      parts.push(`<path d="${path(pts)}" fill="none" stroke="${s.color}" stroke-width="1" stroke-opacity="0.22"/>`);
      const sm = ema(pts.map((p) => p[1]));
      parts.push(`<path d="${path(pts.map((p, i) => [p[0], sm[i]!]))}" fill="none" stroke="${s.color}" stroke-width="2.2"${dash} stroke-linejoin="round"><title>${esc(s.name)}</title></path>`);
    } else {
      parts.push(`<path d="${path(pts)}" fill="none" stroke="${s.color}" stroke-width="2"${dash} stroke-linejoin="round"><title>${esc(s.name)}</title></path>`);
    }
    if (s.markers) {
      for (const [x, y] of thin(pts, 200)) {
        parts.push(`<circle cx="${r2(tx(x))}" cy="${r2(ty(y))}" r="3.2" fill="#fff" stroke="${s.color}" stroke-width="2"><title>${esc(s.name)}: ${esc(y.toFixed(4))} @ ${esc(x)}</title></circle>`);
      }
    }
  }
  parts.push('</g>');
  parts.push(`<text x="${m.l + pw / 2}" y="${H - 6}" class="axislabel" text-anchor="middle">${esc(o.xLabel)}</text>`);
  parts.push(`<text transform="translate(14 ${m.t + ph / 2}) rotate(-90)" class="axislabel" text-anchor="middle">${esc(o.yLabel + (useLog ? ' (log scale)' : ''))}</text>`);
  parts.push('</svg>');
  return parts.join('');
}

export interface LegendItem {
  name: string;
  color: string;
  kind?: 'line' | 'dash' | 'dot' | 'circle' | 'square' | 'triangle' | 'diamond';
}

export function legend(items: LegendItem[]): string {
  const sw = (it: LegendItem): string => {
    switch (it.kind ?? 'line') {
      case 'dash':
        return `<svg width="22" height="10" aria-hidden="true"><line x1="1" x2="21" y1="5" y2="5" stroke="${it.color}" stroke-width="2.2" stroke-dasharray="5 3"/></svg>`;
      case 'dot':
        return `<svg width="12" height="12" aria-hidden="true"><circle cx="6" cy="6" r="4.5" fill="${it.color}"/></svg>`;
      case 'circle':
        return `<svg width="12" height="12" aria-hidden="true"><circle cx="6" cy="6" r="4.2" fill="none" stroke="${it.color}" stroke-width="1.6"/></svg>`;
      case 'diamond':
        return `<svg width="12" height="12" aria-hidden="true"><path d="M6 1.2L10.8 6L6 10.8L1.2 6Z" fill="none" stroke="${it.color}" stroke-width="1.6"/></svg>`;
      case 'square':
        return `<svg width="12" height="12" aria-hidden="true"><rect x="1.5" y="1.5" width="9" height="9" fill="none" stroke="${it.color}" stroke-width="1.8"/></svg>`;
      case 'triangle':
        return `<svg width="12" height="12" aria-hidden="true"><path d="M6 1.5L10.5 10H1.5Z" fill="none" stroke="${it.color}" stroke-width="1.6"/></svg>`;
      default:
        return `<svg width="22" height="10" aria-hidden="true"><line x1="1" x2="21" y1="5" y2="5" stroke="${it.color}" stroke-width="2.6"/></svg>`;
    }
  };
  return `<div class="legend">${items.map((it) => `<span class="item">${sw(it)}${esc(it.name)}</span>`).join('')}</div>`;
}

export interface ScatterPoint {
  x: number;
  y: number;
  color: string;
  /** Marker shape index: 0 circle, 1 triangle, 2 square, 3 diamond (cycled). */
  shape: number;
  title?: string;
}

/** Marker path centred at (x, y). */
function marker(shape: number, x: number, y: number, color: string, title?: string): string {
  const t = title ? `<title>${esc(title)}</title>` : '';
  const s = shape % 4;
  const c = `stroke="${color}" fill="${color}" fill-opacity="0.35" stroke-width="1.1" stroke-opacity="0.9"`;
  if (s === 0) return `<circle cx="${r2(x)}" cy="${r2(y)}" r="3" ${c}>${t}</circle>`;
  if (s === 1) return `<path d="M${r2(x)} ${r2(y - 3.6)}L${r2(x + 3.4)} ${r2(y + 2.6)}H${r2(x - 3.4)}Z" ${c}>${t}</path>`;
  if (s === 2) return `<rect x="${r2(x - 2.8)}" y="${r2(y - 2.8)}" width="5.6" height="5.6" ${c}>${t}</rect>`;
  return `<path d="M${r2(x)} ${r2(y - 3.8)}L${r2(x + 3.8)} ${r2(y)}L${r2(x)} ${r2(y + 3.8)}L${r2(x - 3.8)} ${r2(y)}Z" ${c}>${t}</path>`;
}

export function scatterPlot(o: {
  points: ScatterPoint[];
  xLabel: string;
  yLabel: string;
  ariaLabel: string;
  /** Larger outlined markers (e.g. domain centroids) drawn on top. */
  highlights?: Array<{ x: number; y: number; color: string; label: string }>;
  width?: number;
  height?: number;
}): string {
  const W = o.width ?? 460;
  const H = o.height ?? 400;
  const m = { l: 52, r: 14, t: 12, b: 42 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const pts = o.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  if (pts.length === 0) return `<p class="empty">No points to plot.</p>`;
  const xs = niceTicks(minOf(pts.map((p) => p.x)), maxOf(pts.map((p) => p.x)), 5);
  const ys = niceTicks(minOf(pts.map((p) => p.y)), maxOf(pts.map((p) => p.y)), 5);
  const [x0, x1] = [xs.ticks[0]!, xs.ticks[xs.ticks.length - 1]!];
  const [y0, y1] = [ys.ticks[0]!, ys.ticks[ys.ticks.length - 1]!];
  const tx = (v: number): number => m.l + ((v - x0) / (x1 - x0)) * pw;
  const ty = (v: number): number => m.t + ph - ((v - y0) / (y1 - y0)) * ph;
  const parts: string[] = [`<svg class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(o.ariaLabel)}" ${FONT}>`];
  parts.push(`<rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}" fill="#fff"/>`);
  for (const v of ys.ticks) {
    const y = r2(ty(v));
    parts.push(`<line x1="${m.l}" x2="${m.l + pw}" y1="${y}" y2="${y}" class="grid"/>`);
    parts.push(`<text x="${m.l - 7}" y="${y}" class="tick" text-anchor="end" dominant-baseline="middle">${esc(tickLabel(v, ys.step))}</text>`);
  }
  for (const v of xs.ticks) {
    const x = r2(tx(v));
    parts.push(`<line x1="${x}" x2="${x}" y1="${m.t}" y2="${m.t + ph}" class="grid"/>`);
    parts.push(`<text x="${x}" y="${m.t + ph + 16}" class="tick" text-anchor="middle">${esc(tickLabel(v, xs.step))}</text>`);
  }
  parts.push(`<line x1="${m.l}" x2="${m.l + pw}" y1="${m.t + ph}" y2="${m.t + ph}" class="axis"/>`);
  parts.push(`<line x1="${m.l}" x2="${m.l}" y1="${m.t}" y2="${m.t + ph}" class="axis"/>`);
  for (const p of pts) parts.push(marker(p.shape, tx(p.x), ty(p.y), p.color, p.title));
  for (const h of o.highlights ?? []) {
    const x = r2(tx(h.x));
    const y = r2(ty(h.y));
    parts.push(`<g><circle cx="${x}" cy="${y}" r="7.5" fill="#fff" fill-opacity="0.85" stroke="${h.color}" stroke-width="2.6"/>`);
    parts.push(`<path d="M${Number(x) - 4} ${y}H${Number(x) + 4}M${x} ${Number(y) - 4}V${Number(y) + 4}" stroke="${h.color}" stroke-width="2"/><title>${esc(h.label)}</title></g>`);
  }
  parts.push(`<text x="${m.l + pw / 2}" y="${H - 6}" class="axislabel" text-anchor="middle">${esc(o.xLabel)}</text>`);
  parts.push(`<text transform="translate(14 ${m.t + ph / 2}) rotate(-90)" class="axislabel" text-anchor="middle">${esc(o.yLabel)}</text>`);
  parts.push('</svg>');
  return parts.join('');
}

/** Horizontal bars on [0, 1] with value labels and optional reference lines (e.g. chance 0.5). */
export function barChart(o: {
  bars: Array<{ label: string; value: number; color: string }>;
  ariaLabel: string;
  xLabel: string;
  refLines?: Array<{ x: number; label: string }>;
  width?: number;
}): string {
  const W = o.width ?? 640;
  const rowH = 30;
  const m = { l: 170, r: 56, t: 20, b: 40 };
  const H = m.t + m.b + rowH * o.bars.length;
  const pw = W - m.l - m.r;
  const tx = (v: number): number => m.l + Math.max(0, Math.min(1, v)) * pw;
  const parts: string[] = [`<svg class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(o.ariaLabel)}" ${FONT}>`];
  for (let i = 0; i <= 10; i += 2) {
    const x = r2(tx(i / 10));
    parts.push(`<line x1="${x}" x2="${x}" y1="${m.t}" y2="${H - m.b}" class="grid"/>`);
    parts.push(`<text x="${x}" y="${H - m.b + 16}" class="tick" text-anchor="middle">${(i / 10).toFixed(1)}</text>`);
  }
  o.bars.forEach((b, i) => {
    const y = m.t + i * rowH;
    parts.push(`<text x="${m.l - 8}" y="${y + rowH / 2}" class="barlabel" text-anchor="end" dominant-baseline="middle">${esc(b.label)}</text>`);
    if (Number.isFinite(b.value)) {
      parts.push(`<rect x="${m.l}" y="${y + 6}" width="${r2(tx(b.value) - m.l)}" height="${rowH - 12}" rx="3" fill="${b.color}"><title>${esc(b.label)}: ${b.value.toFixed(3)}</title></rect>`);
      parts.push(`<text x="${r2(tx(b.value) + 6)}" y="${y + rowH / 2}" class="barvalue" dominant-baseline="middle">${b.value.toFixed(3)}</text>`);
    }
  });
  for (const rl of o.refLines ?? []) {
    const x = r2(tx(rl.x));
    parts.push(`<line x1="${x}" x2="${x}" y1="${m.t - 6}" y2="${H - m.b}" class="ref"/>`);
    parts.push(`<text x="${x}" y="${m.t - 8}" class="reflabel" text-anchor="middle">${esc(rl.label)}</text>`);
  }
  parts.push(`<line x1="${m.l}" x2="${m.l}" y1="${m.t}" y2="${H - m.b}" class="axis"/>`);
  parts.push(`<text x="${m.l + pw / 2}" y="${H - 6}" class="axislabel" text-anchor="middle">${esc(o.xLabel)}</text>`);
  parts.push('</svg>');
  return parts.join('');
}
