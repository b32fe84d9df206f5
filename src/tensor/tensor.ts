// Tensor: a contiguous row-major Float32Array with a shape, an optional gradient and,
// while grad mode is on, the autograd node that produced it.
//
// Why no strides/views: every op writes a fresh contiguous buffer (or reuses the caller's);
// transposes are flags to GEMM or explicit copies. That keeps kernels simple and lets the
// addon assume dense memory. `Tensor` rejects anything that is not a dense Float32Array.

import { kernels } from './kernels/index.js';
import { allocF32, releaseDead, scratchF32, scratchScopeOpen, takeUntracked, withScratch } from './scratch.js';

export type Shape = readonly number[];

/** Backward closure of an op: reads `out.grad` and *adds* into the parents' grads. */
export type BackwardFn = () => void;

let gradEnabled = true;

/**
 * While backward() runs: gradient buffers of graph nodes whose backward closure has already run,
 * by length. Such a buffer is dead (only the node's own closure reads it), so a later
 * gradBuffer() of the same length takes it (zeroed) instead of a fresh Float32Array: backward
 * then allocates about one layer's gradients instead of one buffer per node, which is what the
 * GC (external-memory pressure) and first touches of new memory were paying for.
 */
let reusableGrads: Map<number, Float32Array[]> | null = null;

/**
 * n float32s whose contents are NOT zeroed, for buffers a kernel writes in full (a GEMM with
 * beta 0, the elementwise forward kernels): zeroing them first is one more pass over every
 * activation — about a gigabyte per BERT-base training step — which torch.empty skips too.
 * Under Node an unpooled Buffer's memory (or, inside inferenceMode, a dead activation's);
 * elsewhere an ordinary (zeroed) Float32Array.
 */
export const emptyF32 = scratchF32;

/** True when ops should record the graph (outside `noGrad`). */
export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Run `fn` without recording the autograd graph (inference, evaluation, optimizer steps). */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

/**
 * `noGrad` for inference calls whose result is all that survives them (torch.inference_mode's
 * use): op outputs are taken from a pool of dead activations, and when `fn` returns, every
 * buffer it allocated that its result does not reach goes back to that pool (src/tensor/scratch.ts).
 * Contract: a tensor made inside `fn` is valid after it only when the result reaches it (return
 * it, or an object, array or map holding it); do not store such tensors anywhere else.
 */
export function inferenceMode<T>(fn: () => T): T {
  return withScratch(() => noGrad(fn));
}

/**
 * One step of a call that runs in a scratch scope (an encoder layer, say): its own nested scope,
 * so that when no graph passes through its result — inference, or frozen layers below the
 * trainable ones — its dead intermediates go back to the pool at once and the next step reuses
 * them. When the result carries a graph, backward still needs them: they stay with the enclosing
 * scope. Outside any scope, a plain call.
 */
export function scratchStep(fn: () => Tensor): Tensor {
  return scratchScopeOpen() ? withScratch(fn) : fn();
}

export function shapeSize(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function shapeStr(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

function checkShape(shape: Shape, where: string): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new Error(`${where}: invalid shape ${shapeStr(shape)} (dimensions must be non-negative integers)`);
    }
  }
}

export class Tensor {
  readonly shape: Shape;
  readonly size: number;
  data: Float32Array;
  /** Gradient of the loss w.r.t. this tensor, same length as data; allocated on first use. */
  grad: Float32Array | null = null;
  requiresGrad: boolean;
  /** Optional name (parameters carry their HF state-dict key). */
  name: string | undefined;
  /** Autograd: inputs of the op that produced this tensor (null for leaves / after backward). */
  parents: Tensor[] | null = null;
  /** Autograd: the op's backward closure (null for leaves / after backward). */
  backwardFn: BackwardFn | null = null;
  /** Autograd: op name, for error messages and debugging. */
  op: string | undefined;
  /**
   * Autograd: set when backward() freed this node's graph. A later backward() that reaches it
   * would silently lose every gradient behind it, so it throws instead (like PyTorch).
   */
  graphFreed = false;

  constructor(data: Float32Array, shape: Shape, requiresGrad = false, name?: string) {
    checkShape(shape, name ?? 'Tensor');
    if (!(data instanceof Float32Array)) {
      const kind = (data as object)?.constructor?.name ?? typeof data;
      throw new TypeError(`Tensor${name ? ` '${name}'` : ''}: data must be a Float32Array, got ${kind}`);
    }
    const size = shapeSize(shape);
    if (data.length !== size) {
      throw new Error(`Tensor${name ? ` '${name}'` : ''}: data has ${data.length} elements but shape ${shapeStr(shape)} needs ${size}`);
    }
    this.shape = Object.freeze([...shape]);
    this.size = size;
    this.data = data;
    this.requiresGrad = requiresGrad;
    this.name = name;
  }

  static zeros(shape: Shape, requiresGrad = false): Tensor {
    checkShape(shape, 'Tensor.zeros');
    return new Tensor(new Float32Array(shapeSize(shape)), shape, requiresGrad);
  }

  static full(shape: Shape, value: number, requiresGrad = false): Tensor {
    checkShape(shape, 'Tensor.full');
    return new Tensor(new Float32Array(shapeSize(shape)).fill(value), shape, requiresGrad);
  }

  static from(values: ArrayLike<number>, shape?: Shape, requiresGrad = false): Tensor {
    const data = Float32Array.from(values);
    return new Tensor(data, shape ?? [data.length], requiresGrad);
  }

  get ndim(): number {
    return this.shape.length;
  }

  /** Scalar value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) throw new Error(`Tensor.item: tensor of shape ${shapeStr(this.shape)} is not a scalar`);
    return this.data[0]!;
  }

  /** Gradient buffer, allocated (zeroed) if absent. Backward closures add into it. */
  gradBuffer(): Float32Array {
    if (this.grad === null) {
      const reused = reusableGrads?.get(this.size)?.pop() ?? takeUntracked(this.size);
      this.grad = reused === null ? new Float32Array(this.size) : reused.fill(0);
    }
    return this.grad;
  }

  /**
   * This tensor's gradient for a kernel that can either overwrite or accumulate (GEMM's beta):
   * `fresh` when it had none — the buffer is then NOT zeroed and the caller must write all of it
   * (beta 0) — else the existing gradient to add into.
   */
  gradSlot(): { grad: Float32Array; fresh: boolean } {
    if (this.grad !== null) return { grad: this.grad, fresh: false };
    this.grad = reusableGrads?.get(this.size)?.pop() ?? takeUntracked(this.size) ?? allocF32(this.size); // never released by a scope: a gradient outlives any call
    return { grad: this.grad, fresh: true };
  }

  /**
   * For an input whose gradient is `from`'s unchanged (same size), from inside `from`'s backward
   * closure only: add `from.grad` into this tensor's gradient — or, when this has none yet, take
   * `from`'s buffer itself instead of copying it (`from`'s gradient is dead once its closure has
   * run; PyTorch's AddBackward passes its gradient through the same way). Call it after every
   * other read of `from.grad` in the closure.
   */
  takeGradOf(from: Tensor): void {
    const g = from.grad!;
    if (g.length !== this.size) throw new Error(`takeGradOf: ${from.toString()} has ${g.length} gradient elements, ${this.toString()} has ${this.size}`);
    if (this.grad === null) {
      this.grad = g;
      from.grad = null;
    } else this.addGrad(g);
  }

  /** Add `g` (same size) into this tensor's gradient; a gradient it does not have yet is a copy of `g` (no zeroing pass). */
  addGrad(g: Float32Array): void {
    const s = this.gradSlot();
    if (s.fresh) s.grad.set(g);
    else kernels().add(s.grad, g, s.grad);
  }

  zeroGrad(): void {
    this.grad = null;
  }

  /** A new leaf tensor sharing nothing with this one. */
  clone(): Tensor {
    return new Tensor(this.data.slice(), this.shape, this.requiresGrad, this.name);
  }

  /** A leaf view of the same data, cut off from the graph (like torch's `.detach()`). */
  detach(): Tensor {
    return new Tensor(this.data, this.shape, false, this.name);
  }

  toString(): string {
    return `Tensor(${shapeStr(this.shape)}${this.op ? `, op=${this.op}` : ''}${this.name ? `, ${this.name}` : ''})`;
  }

  /**
   * Back-propagate from this tensor. With no argument the tensor must be a scalar (seed 1).
   * Afterwards the graph is freed: parents/backward closures dropped and intermediate grads
   * released, so only leaves (parameters) keep `.grad`, as in PyTorch.
   */
  backward(seed?: Float32Array): void {
    if (!this.requiresGrad) {
      throw new Error(`backward: ${this.toString()} does not require grad (no trainable input reached it)`);
    }
    if (seed === undefined) {
      if (this.size !== 1) {
        throw new Error(`backward: implicit seed needs a scalar, got shape ${shapeStr(this.shape)}; pass a seed gradient`);
      }
      seed = new Float32Array([1]);
    } else if (seed.length !== this.size) {
      throw new Error(`backward: seed has ${seed.length} elements, tensor ${shapeStr(this.shape)} has ${this.size}`);
    }
    const order = topoOrder(this);
    for (const node of order) {
      if (node.graphFreed) {
        throw new Error(`backward: the graph through ${node.toString()} was already freed by an earlier backward(); ` + 'sum the losses and call backward() once, or run the forward pass again');
      }
    }
    const g = this.gradBuffer();
    for (let i = 0; i < g.length; i++) g[i]! += seed[i]!;
    const outer = reusableGrads;
    reusableGrads = new Map();
    try {
      for (let i = order.length - 1; i >= 0; i--) {
        const node = order[i]!;
        if (node.backwardFn !== null && node.grad !== null) {
          node.backwardFn();
          // every consumer of this node ran before it (reverse topological order): its gradient is
          // dead, unless an input took the buffer over (takeGradOf)
          const dead = node.grad;
          node.grad = null;
          if (dead !== null) {
            const free = reusableGrads.get(dead.length);
            if (free === undefined) reusableGrads.set(dead.length, [dead]);
            else free.push(dead);
          }
        }
      }
    } finally {
      // the gradients left over are dead: the next step (inside a scratch scope) reuses them
      for (const free of reusableGrads.values()) releaseDead(free);
      reusableGrads = outer;
    }
    for (const node of order) {
      if (node.backwardFn !== null) {
        node.backwardFn = null;
        node.parents = null;
        node.grad = null; // intermediate: its grad has been propagated
        node.graphFreed = true;
      }
    }
  }
}

/** Nodes reachable from `root` that require grad, parents before children (iterative DFS). */
function topoOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const visited = new Set<Tensor>();
  const stack: Array<[Tensor, number]> = [[root, 0]];
  visited.add(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const [node, idx] = top;
    const parents = node.parents ?? [];
    if (idx < parents.length) {
      top[1] = idx + 1;
      const p = parents[idx]!;
      if (p.requiresGrad && !visited.has(p)) {
        visited.add(p);
        stack.push([p, 0]);
      }
    } else {
      stack.pop();
      order.push(node);
    }
  }
  return order;
}

/**
 * Record an op result in the graph. Ops call this once per output:
 * `return record(out, [a, b], 'matmul', () => { ...add into a.gradBuffer() / b.gradBuffer()... })`.
 * When grad mode is off or no input requires grad, nothing is recorded.
 */
export function record(out: Tensor, parents: Tensor[], op: string, backward: BackwardFn): Tensor {
  out.op = op;
  if (!gradEnabled) return out;
  let needs = false;
  for (const p of parents) if (p.requiresGrad) needs = true;
  if (!needs) return out;
  out.requiresGrad = true;
  out.parents = parents;
  out.backwardFn = backward;
  return out;
}
