// Progress display for long runs: a one-line bar redrawn in place on a terminal, plain lines
// otherwise (logs, pipes, nohup), nothing with 'none'.
export type ProgressMode = 'auto' | 'bar' | 'lines' | 'none';

export interface ProgressInfo {
  step: number;
  tokens: number;
  loss: number;
  lr: number;
  tokensPerSec: number;
  /** 0..1 toward the nearest stop condition. */
  fraction: number;
  etaSeconds: number;
  epoch: number;
}

export function fmtDuration(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '?';
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = Math.floor(s % 60);
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : `${m}m${String(sec).padStart(2, '0')}s`;
}

function fmtTokens(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : String(n);
}

export class Progress {
  private readonly mode: 'bar' | 'lines' | 'none';
  private drawn = false;

  constructor(mode: ProgressMode, private readonly print: (line: string) => void, private readonly stream: NodeJS.WriteStream = process.stderr) {
    this.mode = mode === 'auto' ? (stream.isTTY ? 'bar' : 'lines') : mode;
  }

  update(p: ProgressInfo): void {
    const text =
      `step ${p.step} | epoch ${p.epoch} | tokens ${fmtTokens(p.tokens)} | loss ${p.loss.toFixed(4)} | lr ${p.lr.toExponential(2)} | ` +
      `${Math.round(p.tokensPerSec)} tok/s | ETA ${fmtDuration(p.etaSeconds)}`;
    if (this.mode === 'none') return;
    if (this.mode === 'lines') {
      this.print(text);
      return;
    }
    const width = 24;
    const full = Math.round(Math.min(1, Math.max(0, p.fraction)) * width);
    this.stream.write(`\r[${'#'.repeat(full)}${'.'.repeat(width - full)}] ${(p.fraction * 100).toFixed(1)}% ${text}\x1b[K`);
    this.drawn = true;
  }

  /** End the in-place line before other output. */
  clear(): void {
    if (this.drawn) {
      this.stream.write('\n');
      this.drawn = false;
    }
  }
}
