// Argument checks shared by the js and wasm kernel tables (js.ts, wasm.ts): one function per
// kernel, named after it (imported as `check`: check.attentionBackward(...)), so both backends
// throw the same errors, with the same messages, in the same order.
// Each runs before the kernel touches any output. Kernels only the js table implements
// (embedding, sumSquares, scaleInPlace, dropoutMask) keep their checks inline in js.ts; the
// wasm table and the emulated gemmBf16 (bf16.ts) add the integer-dims and overlap checks at the
// end of this file (`dims`, `noOverlap`) around these.
//
// Shape legend as in types.ts: M,N,K GEMM dims; R rows; C columns; B batch; T tokens;
// nH heads; d head size (H = nH*d).
import type { Kernels } from './types.js';

/**
 * Throws unless `arr` is a Float32Array/Int32Array of at least n elements — the same contract
 * the native addon enforces, so a wrong buffer is an error on both backends, never a silent
 * out-of-range write (typed arrays ignore those) or a read of `undefined`.
 */
export function need(kernel: string, name: string, arr: unknown, n: number, int = false): void {
  const ok = int ? arr instanceof Int32Array : arr instanceof Float32Array;
  if (!ok) {
    const kind = arr === null ? 'null' : ((arr as object)?.constructor?.name ?? typeof arr);
    throw new TypeError(`${kernel}: argument '${name}' must be a${int ? 'n Int32Array' : ' Float32Array'}, got ${kind}`);
  }
  if ((arr as Float32Array).length < n) {
    throw new Error(`${kernel}: argument '${name}' has ${(arr as Float32Array).length} elements, needs ${n}`);
  }
}

type F32 = Float32Array;
type I32 = Int32Array;

/** Elements a [rows, cols] matrix with row stride ld spans. */
function span(rows: number, cols: number, ld: number): number {
  return rows === 0 || cols === 0 ? 0 : (rows - 1) * ld + cols;
}

/** Elements each GEMM buffer spans. */
export interface GemmEnds {
  aEnd: number;
  bEnd: number;
  cEnd: number;
}

/**
 * Leading dims and buffer lengths of a GEMM, given gemmBatched's arguments (gemm: batch 1,
 * strides 0): `batch` (>= 1) matrices, matrix i at offset i*strideX in each buffer. `where` names
 * the kernel in the messages. Returns the elements each buffer spans.
 */
export function gemm(where: string, ...args: Parameters<Kernels['gemmBatched']>): GemmEnds {
  const [batch, transA, transB, M, N, K, , A, lda, strideA, B, ldb, strideB, , C, ldc, strideC] = args;
  const last = batch - 1;
  const aEnd = last * strideA + (transA ? span(K, M, lda) : span(M, K, lda));
  const bEnd = last * strideB + (transB ? span(N, K, ldb) : span(K, N, ldb));
  const cEnd = last * strideC + span(M, N, ldc);
  const aCols = transA ? M : K;
  const bCols = transB ? K : N;
  if (lda < aCols || ldb < bCols || ldc < N) {
    throw new Error(`${where}: leading dims too small (lda=${lda} needs >= ${aCols}, ldb=${ldb} needs >= ${bCols}, ldc=${ldc} needs >= ${N})`);
  }
  if (A.length < aEnd) throw new Error(`${where}: A has ${A.length} elements, needs ${aEnd} (M=${M} N=${N} K=${K} transA=${transA})`);
  if (B.length < bEnd) throw new Error(`${where}: B has ${B.length} elements, needs ${bEnd} (M=${M} N=${N} K=${K} transB=${transB})`);
  if (C.length < cEnd) throw new Error(`${where}: C has ${C.length} elements, needs ${cEnd} (M=${M} N=${N})`);
  return { aEnd, bEnd, cEnd };
}

export function layerNormForward(x: F32, gamma: F32, beta: F32, R: number, C: number, out: F32, mean: F32, rstd: F32): void {
  const k = 'layerNormForward';
  need(k, 'x', x, R * C);
  need(k, 'gamma', gamma, C);
  need(k, 'beta', beta, C);
  need(k, 'out', out, R * C);
  need(k, 'mean', mean, R);
  need(k, 'rstd', rstd, R);
}

export function layerNormBackward(dout: F32, x: F32, gamma: F32, mean: F32, rstd: F32, R: number, C: number, dx: F32 | null, dgamma: F32 | null, dbeta: F32 | null): void {
  const k = 'layerNormBackward';
  need(k, 'dout', dout, R * C);
  need(k, 'x', x, R * C);
  need(k, 'gamma', gamma, C);
  need(k, 'mean', mean, R);
  need(k, 'rstd', rstd, R);
  if (dx !== null) need(k, 'dx', dx, R * C);
  if (dgamma !== null) need(k, 'dgamma', dgamma, C);
  if (dbeta !== null) need(k, 'dbeta', dbeta, C);
}

export function geluForward(x: F32, out: F32): void {
  need('geluForward', 'x', x, 0);
  need('geluForward', 'out', out, x.length);
}

export function geluBackward(x: F32, dout: F32, dx: F32): void {
  need('geluBackward', 'x', x, 0);
  need('geluBackward', 'dout', dout, x.length);
  need('geluBackward', 'dx', dx, x.length);
}

export function softmaxForward(x: F32, R: number, C: number, out: F32): void {
  need('softmaxForward', 'x', x, R * C);
  need('softmaxForward', 'out', out, R * C);
}

export function softmaxBackward(y: F32, dy: F32, R: number, C: number, dx: F32): void {
  const k = 'softmaxBackward';
  need(k, 'y', y, R * C);
  need(k, 'dy', dy, R * C);
  need(k, 'dx', dx, R * C);
}

/** BTH = B*T*nH*d elements of q, k, v (and their gradients), P = B*nH*T*T of probs and dropMask. */
export interface AttentionSizes {
  BTH: number;
  P: number;
}

function attentionSizes(B: number, T: number, nH: number, d: number): AttentionSizes {
  return { BTH: B * T * nH * d, P: B * nH * T * T };
}

/** Returns BTH = B*T*nH*d (q, k, v, out) and P = B*nH*T*T (probs, dropMask). */
export function attentionForward(q: F32, k: F32, v: F32, keyMask: F32 | null, B: number, T: number, nH: number, d: number, dropMask: F32 | null, probs: F32, out: F32): AttentionSizes {
  const n = 'attentionForward';
  const { BTH, P } = attentionSizes(B, T, nH, d);
  need(n, 'q', q, BTH);
  need(n, 'k', k, BTH);
  need(n, 'v', v, BTH);
  if (keyMask !== null) need(n, 'keyMask', keyMask, B * T);
  if (dropMask !== null) need(n, 'dropMask', dropMask, P);
  need(n, 'probs', probs, P);
  need(n, 'out', out, BTH);
  return { BTH, P };
}

/** Returns BTH = B*T*nH*d (dout, q, k, v, dq, dk, dv) and P = B*nH*T*T (probs, dropMask). */
export function attentionBackward(dout: F32, q: F32, k: F32, v: F32, probs: F32, dropMask: F32 | null, B: number, T: number, nH: number, d: number, dq: F32, dk: F32, dv: F32): AttentionSizes {
  const n = 'attentionBackward';
  const { BTH, P } = attentionSizes(B, T, nH, d);
  need(n, 'dout', dout, BTH);
  need(n, 'q', q, BTH);
  need(n, 'k', k, BTH);
  need(n, 'v', v, BTH);
  need(n, 'probs', probs, P);
  if (dropMask !== null) need(n, 'dropMask', dropMask, P);
  need(n, 'dq', dq, BTH);
  need(n, 'dk', dk, BTH);
  need(n, 'dv', dv, BTH);
  return { BTH, P };
}

/** Buffer types and lengths only: the js and wasm tables check the target values differently. */
export function crossEntropyForward(logits: F32, targets: I32, R: number, C: number, probs: F32): void {
  const k = 'crossEntropyForward';
  need(k, 'logits', logits, R * C);
  need(k, 'targets', targets, R, true);
  need(k, 'probs', probs, R * C);
}

/** Buffer types and lengths only: the js and wasm tables check the target values differently. */
export function crossEntropyBackward(probs: F32, targets: I32, R: number, C: number, dlogits: F32): void {
  const k = 'crossEntropyBackward';
  need(k, 'probs', probs, R * C);
  need(k, 'targets', targets, R, true);
  need(k, 'dlogits', dlogits, R * C);
}

export function adamwUpdate(param: F32, grad: F32, m: F32, v: F32, step: number): void {
  const k = 'adamwUpdate';
  need(k, 'param', param, 0);
  need(k, 'grad', grad, param.length);
  need(k, 'm', m, param.length);
  need(k, 'v', v, param.length);
  if (!(Number.isInteger(step) && step >= 1)) throw new RangeError(`adamwUpdate: step must be an integer >= 1 (1-based), got ${step}`);
}

/** Integer dims in [0, 2^32) (RangeError naming the first bad one): the wasm ABI and the addon take u32/size_t. */
export function dims(kernel: string, d: Record<string, number>): void {
  for (const [name, v] of Object.entries(d)) {
    if (!(Number.isInteger(v) && v >= 0 && v <= 0xffffffff)) throw new RangeError(`${kernel}: ${name} must be a non-negative integer, got ${String(v)}`);
  }
}

/** The output must not share memory with an input: the copies would hide what js computes in place. */
export function noOverlap(kernel: string, out: Float32Array, outName: string, outLen: number, inp: Float32Array, inName: string, inLen: number): void {
  if (out.buffer !== inp.buffer || outLen === 0 || inLen === 0) return;
  const a0 = out.byteOffset;
  const b0 = inp.byteOffset;
  if (a0 < b0 + 4 * inLen && b0 < a0 + 4 * outLen) throw new Error(`${kernel}: ${outName} overlaps input ${inName} in memory (the output must be a separate buffer)`);
}
