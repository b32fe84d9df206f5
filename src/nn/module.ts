// Module: a node of the model tree. Children and parameters are registered by name, and
// full parameter names are built from the path (`encoder.layer.3.attention.self.query.weight`),
// so the tree *is* the Hugging Face state-dict layout: checkpoints load as a straight copy.
//
// Why explicit registration instead of reflecting over fields: names must be exact HF keys
// (`LayerNorm`, `self`, numeric list indices), and adapters/heads are added and removed at
// run time under user-chosen names.
import { Tensor, shapeStr, type Shape } from '../tensor/tensor.js';
import { Parameter } from './parameter.js';

/** A tensor as stored in a checkpoint (what readSafetensors returns, minus dtype). */
export interface StoredTensor {
  shape: readonly number[];
  data: Float32Array;
}

export interface LoadStateDictOptions {
  /** Throw on missing or unexpected keys (mis-shaped tensors always throw). Default true. */
  strict?: boolean;
  /** Where the tensors came from, for the error message (e.g. a file path). */
  source?: string;
}

export interface LoadReport {
  missing: string[];
  unexpected: string[];
}

export abstract class Module {
  /** Train mode: dropout active. Changed with train()/eval(), which propagate to children. */
  training = true;
  private readonly childMap = new Map<string, Module>();
  private readonly paramMap = new Map<string, Parameter>();

  protected registerModule<M extends Module>(name: string, module: M): M {
    checkName(name, this);
    this.childMap.set(name, module);
    module.train(this.training);
    return module;
  }

  protected registerParameter(name: string, p: Parameter): Parameter {
    checkName(name, this);
    this.paramMap.set(name, p);
    return p;
  }

  /** Remove a child (e.g. a deleted adapter or head). Returns whether it existed. */
  protected unregisterModule(name: string): boolean {
    return this.childMap.delete(name);
  }

  getChild(name: string): Module | undefined {
    return this.childMap.get(name);
  }

  namedChildren(): Array<[string, Module]> {
    return [...this.childMap.entries()];
  }

  /** Directly owned parameters (not the children's), in registration order. */
  ownParameters(): Array<[string, Parameter]> {
    return [...this.paramMap.entries()];
  }

  /** Every module below (and including) this one with its dotted path. */
  namedModules(prefix = ''): Array<[string, Module]> {
    const out: Array<[string, Module]> = [[prefix, this]];
    for (const [name, child] of this.childMap) out.push(...child.namedModules(join(prefix, name)));
    return out;
  }

  /**
   * Every parameter with its full dotted name, depth-first in registration order.
   * A parameter shared by two paths (tied weights) is listed once, under its first name.
   */
  namedParameters(prefix = ''): Array<[string, Parameter]> {
    const out: Array<[string, Parameter]> = [];
    const seen = new Set<Parameter>();
    const walk = (m: Module, pre: string): void => {
      for (const [name, p] of m.paramMap) {
        if (seen.has(p)) continue;
        seen.add(p);
        out.push([join(pre, name), p]);
      }
      for (const [name, child] of m.childMap) walk(child, join(pre, name));
    };
    walk(this, prefix);
    return out;
  }

  parameters(): Parameter[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** Write each parameter's full name into `Parameter.name` (for optimizer state and error messages). */
  assignParameterNames(prefix = ''): void {
    for (const [name, p] of this.namedParameters(prefix)) p.name = name;
  }

  train(mode = true): this {
    this.training = mode;
    for (const child of this.childMap.values()) child.train(mode);
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  zeroGrad(): void {
    for (const p of this.parameters()) p.zeroGrad();
  }

  /** Name → parameter (the live tensors, not copies). */
  stateDict(prefix = ''): Map<string, Parameter> {
    return new Map(this.namedParameters(prefix));
  }

  /**
   * Copy tensors into the parameters by name. Shapes must match exactly. All problems are
   * collected and reported in ONE error (missing, unexpected, mis-shaped, each with shapes).
   */
  loadStateDict(tensors: ReadonlyMap<string, StoredTensor>, opts: LoadStateDictOptions = {}): LoadReport {
    const strict = opts.strict ?? true;
    const own = this.stateDict();
    const missing: string[] = [];
    const misShaped: string[] = [];
    for (const [name, p] of own) {
      const t = tensors.get(name);
      if (t === undefined) missing.push(name);
      else if (!sameShape(p.shape, t.shape)) misShaped.push(`${name} (expected ${shapeStr(p.shape)}, found ${shapeStr(t.shape)})`);
    }
    const unexpected = [...tensors.keys()].filter((k) => !own.has(k));
    const problems: string[] = [];
    if (misShaped.length > 0) problems.push(`mis-shaped: ${misShaped.join(', ')}`);
    if (strict && missing.length > 0) {
      problems.push(`missing: ${missing.map((n) => `${n} ${shapeStr(own.get(n)!.shape)}`).join(', ')}`);
    }
    if (strict && unexpected.length > 0) {
      problems.push(`unexpected: ${unexpected.map((n) => `${n} ${shapeStr(tensors.get(n)!.shape)}`).join(', ')}`);
    }
    if (problems.length > 0) {
      throw new Error(`loadStateDict${opts.source ? ` (${opts.source})` : ''}: ${problems.join('; ')}`);
    }
    for (const [name, p] of own) {
      const t = tensors.get(name);
      if (t !== undefined) p.data.set(t.data);
    }
    return { missing, unexpected };
  }
}

function join(prefix: string, name: string): string {
  return prefix === '' ? name : `${prefix}.${name}`;
}

function checkName(name: string, m: Module): void {
  if (name === '' || name.includes('.')) {
    throw new Error(`${m.constructor.name}: invalid child/parameter name '${name}' (must be non-empty, without '.')`);
  }
}

export function sameShape(a: Shape, b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A list of modules named 0..n-1 (torch.nn.ModuleList): gives `layer.3.` in names. */
export class ModuleList<M extends Module> extends Module {
  readonly items: M[] = [];

  constructor(items: Iterable<M> = []) {
    super();
    for (const m of items) this.push(m);
  }

  push(m: M): void {
    this.registerModule(String(this.items.length), m);
    this.items.push(m);
  }

  get length(): number {
    return this.items.length;
  }

  at(i: number): M {
    const m = this.items[i];
    if (m === undefined) throw new Error(`ModuleList: index ${i} out of range [0, ${this.items.length})`);
    return m;
  }
}

/** A map of modules keyed by user names (torch.nn.ModuleDict): adapters and heads. */
export class ModuleDict<M extends Module> extends Module {
  private readonly entries_ = new Map<string, M>();

  set(name: string, m: M): void {
    this.registerModule(name, m);
    this.entries_.set(name, m);
  }

  get(name: string): M | undefined {
    return this.entries_.get(name);
  }

  has(name: string): boolean {
    return this.entries_.has(name);
  }

  delete(name: string): boolean {
    this.unregisterModule(name);
    return this.entries_.delete(name);
  }

  keys(): string[] {
    return [...this.entries_.keys()];
  }

  values(): M[] {
    return [...this.entries_.values()];
  }

  get size(): number {
    return this.entries_.size;
  }
}

export type { Tensor };
