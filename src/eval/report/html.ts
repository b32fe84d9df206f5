// Escaping and number formatting for the HTML report. Everything that comes from a run
// folder (label names, stage names, config values, vocabulary examples) is user data and goes
// through `esc` — a label called `<script>` must render as text.

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escape text for HTML element content and double- or single-quoted attribute values. */
export function esc(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

/** A finite number, or undefined. */
export function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** 0.8234 → "82.3%"; missing → "—". */
export function pct(v: unknown, digits = 1): string {
  const x = num(v);
  return x === undefined ? '—' : `${(100 * x).toFixed(digits)}%`;
}

/** Fixed decimals; missing → "—". */
export function fixed(v: unknown, digits = 3): string {
  const x = num(v);
  return x === undefined ? '—' : x.toFixed(digits);
}

/** Signed percentage-point difference: +3.1 pt / −0.4 pt. */
export function deltaPt(v: number): string {
  const s = (100 * v).toFixed(1);
  return v > 0 ? `+${s} pt` : v < 0 ? `−${s.slice(1)} pt` : `±0.0 pt`;
}

/** Integer with thin thousands separators: 12345 → "12 345". */
export function int(v: unknown): string {
  const x = num(v);
  if (x === undefined) return '—';
  return Math.round(x)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, '\u2009');
}

/** Seconds → "2 h 05 min", "4 min 07 s", "12.3 s". */
export function duration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '—';
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m} min ${String(Math.floor(seconds - 60 * m)).padStart(2, '0')} s`;
  const h = Math.floor(m / 60);
  return `${h} h ${String(m - 60 * h).padStart(2, '0')} min`;
}
