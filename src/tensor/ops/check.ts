// Argument validation shared by the ops: every message names the op, the argument and the
// shapes, so a bad call reads like `add: b [4] is not broadcastable to a [2, 3]`.
import { Tensor, shapeSize, shapeStr, type Shape } from '../tensor.js';

export function describe(x: unknown): string {
  if (x === null) return 'null';
  if (x === undefined) return 'undefined';
  if (typeof x === 'object') return (x as object).constructor?.name ?? 'object';
  return typeof x;
}

/** Throws unless `x` is a Tensor (catches raw arrays, Float64Array, undefined). */
export function checkTensor(op: string, arg: string, x: unknown): asserts x is Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`${op}: ${arg} must be a Tensor, got ${describe(x)}`);
  // Tensor's constructor checks this, but `data` is a public field and could be swapped later.
  if (!(x.data instanceof Float32Array)) {
    throw new TypeError(`${op}: ${arg}.data must be a Float32Array, got ${describe(x.data)}`);
  }
  if (x.data.length !== x.size) {
    throw new Error(`${op}: ${arg}.data has ${x.data.length} elements but its shape ${shapeStr(x.shape)} needs ${x.size}`);
  }
}

export function checkInt32(op: string, arg: string, ids: unknown, length?: number): asserts ids is Int32Array {
  if (!(ids instanceof Int32Array)) throw new TypeError(`${op}: ${arg} must be an Int32Array, got ${describe(ids)}`);
  if (length !== undefined && ids.length !== length) {
    throw new Error(`${op}: ${arg} has ${ids.length} elements, expected ${length}`);
  }
}

export function checkMask(op: string, arg: string, mask: unknown, shape: Shape): asserts mask is Float32Array {
  if (!(mask instanceof Float32Array)) {
    throw new TypeError(`${op}: ${arg} must be a Float32Array ${shapeStr(shape)} (1 = keep, 0 = pad) or null, got ${describe(mask)}`);
  }
  if (mask.length !== shapeSize(shape)) {
    throw new Error(`${op}: ${arg} has ${mask.length} elements, expected ${shapeStr(shape)} = ${shapeSize(shape)}`);
  }
}

export function checkFiniteNumber(op: string, arg: string, v: unknown): asserts v is number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${op}: ${arg} must be a finite number, got ${String(v)}`);
}

/** Normalises a possibly negative dim index against ndim. */
export function normDim(op: string, dim: number, ndim: number): number {
  if (!Number.isInteger(dim) || dim < -ndim || dim >= ndim) {
    throw new Error(`${op}: dim ${dim} is out of range for a ${ndim}-D tensor`);
  }
  return dim < 0 ? dim + ndim : dim;
}

export function sameShape(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Index of the first NaN or ±Inf in `a`, or -1 (x − x is 0 exactly for finite x). */
export function firstNonFinite(a: ArrayLike<number>): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    if (x - x !== 0) return i;
  }
  return -1;
}
