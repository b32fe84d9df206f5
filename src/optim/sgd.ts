// Plain stochastic gradient descent, torch.optim.SGD semantics without momentum:
//   p ← p − lr · (grad + weightDecay · p)      (L2 weight decay folded into the gradient, as torch)
// Why it exists beside AdamW: the shallow DANN check (src/baselines/bow-dann.ts) follows Ganin et
// al. (2016), whose Algorithm 1 is plain SGD. With SGD the size of the gradient the reversal layer
// sends back (λ · ∂L_d/∂h) is what moves the encoder; AdamW rescales every parameter's step to
// ≈ lr whatever its gradient's size, so once the label loss is small the adversarial gradient
// alone sets the encoder's step, and λ stops meaning "how much".
// Parameter groups and the lr schedule work as in AdamW (group lr × schedule.multiplier(step)).
import type { Tensor } from '../tensor/tensor.js';
import { constantSchedule, type LrSchedule } from './schedule.js';

export interface SgdGroupSpec {
  /** Group name, unique. */
  name: string;
  params: readonly Tensor[];
  lr: number;
  /** L2 weight decay added to the gradient. Default 0. */
  weightDecay?: number;
  /** Overrides the optimizer's schedule for this group. */
  schedule?: LrSchedule;
}

interface SgdGroup {
  readonly name: string;
  readonly params: readonly Tensor[];
  lr: number;
  readonly weightDecay: number;
  readonly schedule: LrSchedule;
}

export class SGD {
  readonly groups: readonly SgdGroup[];
  /** Optimizer steps taken so far (drives the schedules). */
  stepCount = 0;

  constructor(groups: readonly SgdGroupSpec[], opts: { schedule?: LrSchedule } = {}) {
    if (groups.length === 0) throw new Error('SGD: no parameter groups given');
    const names = new Set<string>();
    const owner = new Map<Tensor, string>();
    this.groups = groups.map((g) => {
      if (typeof g.name !== 'string' || g.name === '') throw new Error('SGD: every parameter group needs a non-empty name');
      if (names.has(g.name)) throw new Error(`SGD: duplicate parameter group name '${g.name}'`);
      names.add(g.name);
      if (!(Number.isFinite(g.lr) && g.lr >= 0)) throw new Error(`SGD group '${g.name}': lr must be a finite number >= 0, got ${g.lr}`);
      const wd = g.weightDecay ?? 0;
      if (!(Number.isFinite(wd) && wd >= 0)) throw new Error(`SGD group '${g.name}': weightDecay must be a finite number >= 0, got ${wd}`);
      g.params.forEach((p, i) => {
        const prev = owner.get(p);
        if (prev !== undefined) throw new Error(`SGD group '${g.name}': parameter ${p.name ?? `#${i}`} is already in group '${prev}'`);
        owner.set(p, g.name);
      });
      return { name: g.name, params: [...g.params], lr: g.lr, weightDecay: wd, schedule: g.schedule ?? opts.schedule ?? constantSchedule() };
    });
  }

  /** One update of every parameter that requires grad and has a gradient. */
  step(): void {
    for (const g of this.groups) {
      const lr = g.lr * g.schedule.multiplier(this.stepCount);
      for (const p of g.params) {
        if (!p.requiresGrad || p.grad === null) continue;
        const w = p.data; // [...S]
        const d = p.grad; // [...S]
        if (d.length !== w.length) throw new Error(`SGD.step: ${p.name ?? 'parameter'} has ${w.length} elements but its grad has ${d.length}`);
        const wd = g.weightDecay;
        if (wd === 0) for (let i = 0; i < w.length; i++) w[i]! -= lr * d[i]!;
        else for (let i = 0; i < w.length; i++) w[i]! -= lr * (d[i]! + wd * w[i]!);
      }
    }
    this.stepCount += 1;
  }

  /** Drops every gradient (grad = null). */
  zeroGrad(): void {
    for (const g of this.groups) for (const p of g.params) p.grad = null;
  }
}
