// AdamW with parameter groups (torch.optim.AdamW semantics: decoupled weight decay, bias
// correction, per-parameter step count) and a learning-rate schedule built in.
//
// Why the schedule lives here: every group's lr is `group.lr * schedule.multiplier(stepCount)`,
// so the optimizer's step count is the only schedule state, and it is saved with the moments.
// Why names: optimizer state is keyed by the parameter's HF name, so a checkpoint can be
// matched back to the model by name, not by position.
import type { Tensor } from '../tensor/tensor.js';
import { kernels } from '../tensor/kernels/index.js';
import { constantSchedule, type LrSchedule } from './schedule.js';

export interface ParamGroupSpec {
  /** Group name, e.g. 'adapters', 'heads', 'backbone', 'embeddings'. Unique. */
  name: string;
  params: readonly Tensor[];
  /** Base learning rate (before the schedule multiplier). */
  lr: number;
  /** Decoupled weight decay. Default: the optimizer's `weightDecay` (0.01). */
  weightDecay?: number;
  /**
   * When true, parameters matched by `isNoDecayParam` (biases, LayerNorm weights/biases) get
   * weight decay 0, like the transformers Trainer's `no_decay` split. Default false.
   */
  noDecayOnBiasAndNorm?: boolean;
  /** Overrides the optimizer's schedule for this group. */
  schedule?: LrSchedule;
}

export interface AdamWOptions {
  betas?: readonly [number, number];
  eps?: number;
  /** Default weight decay for groups that do not set one. Default 0.01 (torch's default). */
  weightDecay?: number;
  /** Learning-rate schedule shared by all groups (default: constant). */
  schedule?: LrSchedule;
}

export interface ParamGroup {
  readonly name: string;
  readonly params: readonly Tensor[];
  /** Base lr; may be changed between steps. */
  lr: number;
  weightDecay: number;
  readonly noDecayOnBiasAndNorm: boolean;
  schedule: LrSchedule;
  /** State keys of `params`, same order (the parameter name, or `<group>.<index>` if unnamed). */
  readonly keys: readonly string[];
}

interface ParamState {
  /** First moment (torch `exp_avg`), same length as the parameter. */
  m: Float32Array;
  /** Second moment (torch `exp_avg_sq`). */
  v: Float32Array;
  /** Number of updates this parameter received (torch per-parameter `step`). */
  step: number;
}

/** JSON-able part of the optimizer state. */
export interface AdamWStateMeta {
  format: 'adaptext.adamw';
  version: 1;
  betas: [number, number];
  eps: number;
  /** Optimizer steps taken (the schedule position). */
  stepCount: number;
  groups: Array<{ name: string; lr: number; weightDecay: number; params: string[] }>;
  /** Per-parameter update counts, for parameters that have state. */
  paramSteps: Record<string, number>;
}

/**
 * Optimizer state for checkpoints: `meta` is JSON; `tensors` maps `<param>.exp_avg` and
 * `<param>.exp_avg_sq` to Float32Arrays (ready for safetensors).
 */
export interface AdamWStateDict {
  meta: AdamWStateMeta;
  tensors: Record<string, Float32Array>;
}

/**
 * Biases and LayerNorm parameters, by HF naming: `*.bias`, legacy `*.gamma`/`*.beta`, and any
 * `weight` whose module name contains "norm" (`LayerNorm`, `layer_norm`, AdapterHub
 * `adapter_norm_before`, ...).
 */
export function isNoDecayParam(name: string): boolean {
  if (/(^|\.)(bias|beta|gamma)$/.test(name)) return true;
  const m = /(?:^|\.)([^.]+)\.weight$/.exec(name);
  return m !== null && /norm/i.test(m[1]!);
}

function checkHyper(where: string, name: string, v: number, lo: number, hi: number, loOpen = false, hiOpen = false): void {
  const ok = Number.isFinite(v) && (loOpen ? v > lo : v >= lo) && (hiOpen ? v < hi : v <= hi);
  if (!ok) throw new Error(`${where}: ${name} must be in ${loOpen ? '(' : '['}${lo}, ${hi}${hiOpen ? ')' : ']'}, got ${v}`);
}

export class AdamW {
  readonly groups: readonly ParamGroup[];
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  /** Optimizer steps taken so far (drives the schedules). */
  stepCount = 0;
  private readonly state = new Map<Tensor, ParamState>();
  private readonly byKey = new Map<string, Tensor>();

  constructor(groups: readonly ParamGroupSpec[], opts: AdamWOptions = {}) {
    const [b1, b2] = opts.betas ?? [0.9, 0.999];
    checkHyper('AdamW', 'betas[0]', b1, 0, 1, false, true);
    checkHyper('AdamW', 'betas[1]', b2, 0, 1, false, true);
    const eps = opts.eps ?? 1e-8;
    checkHyper('AdamW', 'eps', eps, 0, Infinity);
    const defaultWd = opts.weightDecay ?? 0.01;
    checkHyper('AdamW', 'weightDecay', defaultWd, 0, Infinity);
    this.beta1 = b1;
    this.beta2 = b2;
    this.eps = eps;
    if (groups.length === 0) throw new Error('AdamW: no parameter groups given');
    const seenGroups = new Set<string>();
    const owner = new Map<Tensor, string>();
    const out: ParamGroup[] = [];
    for (const g of groups) {
      const where = `AdamW group '${g.name}'`;
      if (typeof g.name !== 'string' || g.name === '') throw new Error('AdamW: every parameter group needs a non-empty name');
      if (seenGroups.has(g.name)) throw new Error(`AdamW: duplicate parameter group name '${g.name}'`);
      seenGroups.add(g.name);
      checkHyper(where, 'lr', g.lr, 0, Infinity);
      const wd = g.weightDecay ?? defaultWd;
      checkHyper(where, 'weightDecay', wd, 0, Infinity);
      const keys: string[] = [];
      g.params.forEach((p, i) => {
        const prev = owner.get(p);
        if (prev !== undefined) {
          throw new Error(`${where}: parameter ${p.name ?? `#${i}`} is already in group '${prev}' (a parameter may be in one group only)`);
        }
        owner.set(p, g.name);
        const key = p.name ?? `${g.name}.${i}`;
        if (this.byKey.has(key)) throw new Error(`${where}: two parameters share the name '${key}' (optimizer state is keyed by name)`);
        this.byKey.set(key, p);
        keys.push(key);
      });
      out.push({
        name: g.name,
        params: [...g.params],
        lr: g.lr,
        weightDecay: wd,
        noDecayOnBiasAndNorm: g.noDecayOnBiasAndNorm ?? false,
        schedule: g.schedule ?? opts.schedule ?? constantSchedule(),
        keys,
      });
    }
    this.groups = out;
  }

  /** Every parameter of every group. */
  params(): Tensor[] {
    return this.groups.flatMap((g) => g.params);
  }

  group(name: string): ParamGroup {
    const g = this.groups.find((x) => x.name === name);
    if (g === undefined) throw new Error(`AdamW: no parameter group '${name}' (groups: ${this.groups.map((x) => x.name).join(', ')})`);
    return g;
  }

  /** Learning rate the next `step()` will use for the group (base lr × schedule multiplier). */
  currentLr(groupName: string): number {
    const g = this.group(groupName);
    return g.lr * g.schedule.multiplier(this.stepCount);
  }

  /** Current lr of every group, by name (for logs). */
  currentLrs(): Record<string, number> {
    const r: Record<string, number> = {};
    for (const g of this.groups) r[g.name] = g.lr * g.schedule.multiplier(this.stepCount);
    return r;
  }

  /** Sets the schedule of every group (e.g. once the number of training steps is known). */
  setSchedule(schedule: LrSchedule): void {
    for (const g of this.groups) g.schedule = schedule;
  }

  /**
   * One AdamW update of every parameter that requires grad and has a gradient; parameters with
   * `grad === null` (unused this step) or `requiresGrad === false` (frozen) are left alone,
   * and their moments are not touched (as in torch).
   */
  step(): void {
    const k = kernels();
    for (const g of this.groups) {
      const lr = g.lr * g.schedule.multiplier(this.stepCount);
      for (let i = 0; i < g.params.length; i++) {
        const p = g.params[i]!;
        if (!p.requiresGrad || p.grad === null) continue;
        if (p.grad.length !== p.data.length) {
          throw new Error(`AdamW.step: ${g.keys[i]} has ${p.data.length} elements but its grad has ${p.grad.length}`);
        }
        let st = this.state.get(p);
        if (st === undefined) {
          st = { m: new Float32Array(p.data.length), v: new Float32Array(p.data.length), step: 0 };
          this.state.set(p, st);
        } else if (st.m.length !== p.data.length) {
          throw new Error(`AdamW.step: ${g.keys[i]} changed size from ${st.m.length} to ${p.data.length} (resized parameter; build a new optimizer)`);
        }
        st.step += 1;
        const wd = g.noDecayOnBiasAndNorm && isNoDecayParam(g.keys[i]!) ? 0 : g.weightDecay;
        k.adamwUpdate(p.data, p.grad, st.m, st.v, lr, this.beta1, this.beta2, this.eps, wd, st.step);
      }
    }
    this.stepCount += 1;
  }

  /** Drops every gradient (sets `grad = null`, torch's `set_to_none=True`). */
  zeroGrad(): void {
    for (const g of this.groups) for (const p of g.params) p.grad = null;
  }

  stateDict(): AdamWStateDict {
    const tensors: Record<string, Float32Array> = {};
    const paramSteps: Record<string, number> = {};
    for (const g of this.groups) {
      g.params.forEach((p, i) => {
        const st = this.state.get(p);
        if (st === undefined) return;
        const key = g.keys[i]!;
        tensors[`${key}.exp_avg`] = st.m.slice();
        tensors[`${key}.exp_avg_sq`] = st.v.slice();
        paramSteps[key] = st.step;
      });
    }
    return {
      meta: {
        format: 'adaptext.adamw',
        version: 1,
        betas: [this.beta1, this.beta2],
        eps: this.eps,
        stepCount: this.stepCount,
        groups: this.groups.map((g) => ({ name: g.name, lr: g.lr, weightDecay: g.weightDecay, params: [...g.keys] })),
        paramSteps,
      },
      tensors,
    };
  }

  /**
   * Restores moments, per-parameter steps and the step count. Parameters are matched by name;
   * the groups' lr and weight decay stay as configured (the config is the source of truth).
   * `strict` (default true) rejects state for parameters this optimizer does not have, and
   * different group names.
   */
  loadStateDict(sd: AdamWStateDict, opts: { strict?: boolean } = {}): void {
    const strict = opts.strict ?? true;
    const meta = sd?.meta;
    if (meta?.format !== 'adaptext.adamw' || meta.version !== 1) {
      throw new Error(`AdamW.loadStateDict: not an adaptext AdamW state (format ${JSON.stringify(meta?.format)}, version ${JSON.stringify(meta?.version)})`);
    }
    if (!Number.isInteger(meta.stepCount) || meta.stepCount < 0) {
      throw new Error(`AdamW.loadStateDict: stepCount must be a non-negative integer, got ${meta.stepCount}`);
    }
    if (strict) {
      const mine = this.groups.map((g) => g.name).join(', ');
      const theirs = meta.groups.map((g) => g.name).join(', ');
      if (mine !== theirs) throw new Error(`AdamW.loadStateDict: parameter groups differ: state has [${theirs}], optimizer has [${mine}]`);
      const unknown = Object.keys(meta.paramSteps).filter((n) => !this.byKey.has(n));
      if (unknown.length > 0) {
        throw new Error(`AdamW.loadStateDict: state for ${unknown.length} parameter(s) this optimizer does not have: ${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? ', ...' : ''}`);
      }
    }
    const next = new Map<Tensor, ParamState>();
    for (const [key, step] of Object.entries(meta.paramSteps)) {
      const p = this.byKey.get(key);
      if (p === undefined) continue;
      const m = sd.tensors[`${key}.exp_avg`];
      const v = sd.tensors[`${key}.exp_avg_sq`];
      if (!(m instanceof Float32Array) || !(v instanceof Float32Array)) {
        throw new Error(`AdamW.loadStateDict: missing exp_avg/exp_avg_sq Float32Array for ${key}`);
      }
      if (m.length !== p.data.length || v.length !== p.data.length) {
        throw new Error(`AdamW.loadStateDict: ${key} has ${p.data.length} elements but its saved moments have ${m.length}/${v.length}`);
      }
      if (!Number.isInteger(step) || step < 1) throw new Error(`AdamW.loadStateDict: ${key} has invalid step ${step}`);
      next.set(p, { m: m.slice(), v: v.slice(), step });
    }
    this.state.clear();
    for (const [p, st] of next) this.state.set(p, st);
    this.stepCount = meta.stepCount;
  }
}
