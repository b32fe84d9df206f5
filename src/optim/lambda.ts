// Gradient-reversal strength over training (Ganin & Lempitsky 2015, §5.2.2): the discriminator's
// gradient into the encoder starts at 0 — while the discriminator is still noise — and rises to
// `max` as progress p goes 0 → 1:  λ(p) = max · (2 / (1 + e^(−γ·p)) − 1), γ = 10.

export interface LambdaSchedule {
  schedule: 'ganin' | 'constant';
  gamma: number;
  max: number;
}

/** λ at progress p ∈ [0, 1] (clamped). */
export function grlLambda(p: number, s: LambdaSchedule = { schedule: 'ganin', gamma: 10, max: 1 }): number {
  if (!Number.isFinite(p)) throw new Error(`grlLambda: progress must be a finite number, got ${p}`);
  if (s.schedule === 'constant') return s.max;
  const q = Math.min(1, Math.max(0, p));
  return s.max * (2 / (1 + Math.exp(-s.gamma * q)) - 1);
}

/** Progress of optimizer step `step` (0-based, before the update) out of `total` steps. */
export function progressOf(step: number, total: number): number {
  return total <= 1 ? 1 : step / (total - 1);
}
