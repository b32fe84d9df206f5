// The WebAssembly SIMD kernels (native/wasm/kernels.c, built by scripts/build-wasm.mjs into
// native/wasm/adaptext.wasm, committed) seen as a `Kernels` table: the fallback when the
// native addon does not load. The hot kernels (GEMM, LayerNorm, GELU, softmax, attention,
// softmax cross-entropy, AdamW) run in wasm; embedding, sumSquares, scaleInPlace, add,
// dropoutMask and dropoutApply are memory-bound one-pass loops that gain nothing from a copy
// into wasm memory, so they are the js table's.
//
// Data movement: the caller's typed arrays live outside wasm memory, so every call copies its
// inputs into a bump arena above the module's static data (reset per call; memory grows on
// demand and is kept for the next call, up to wasm32's 4 GiB) and copies its outputs back.
// Arguments are validated here first, with the js table's checks (checks.ts: the same messages),
// plus integer dims, before anything is written: a failed call leaves the caller's arrays as they
// were. Single-threaded, synchronous.
//
// Shape legend as in types.ts: M,N,K GEMM dims; R rows; C columns; B batch; T tokens;
// nH heads; d head size (H = nH*d).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as check from './checks.js';
import { dims, noOverlap } from './checks.js';
import { emulatedGemmBf16 } from './bf16.js';
import { jsKernels } from './js.js';
import { packageRoot } from './native.js';
import type { Kernels } from './types.js';

type Ptr = number;
/** The module's exports (native/wasm/kernels.c); booleans are 0/1, pointers byte offsets. */
interface WasmExports {
  memory: WebAssembly.Memory;
  heap_base(): Ptr;
  gemm(ta: number, tb: number, M: number, N: number, K: number, alpha: number, A: Ptr, lda: number, B: Ptr, ldb: number, beta: number, C: Ptr, ldc: number): void;
  gemm_batched(
    batch: number,
    ta: number,
    tb: number,
    M: number,
    N: number,
    K: number,
    alpha: number,
    A: Ptr,
    lda: number,
    sA: number,
    B: Ptr,
    ldb: number,
    sB: number,
    beta: number,
    C: Ptr,
    ldc: number,
    sC: number,
  ): void;
  layernorm_forward(x: Ptr, gamma: Ptr, beta: Ptr, R: number, C: number, eps: number, out: Ptr, mean: Ptr, rstd: Ptr): void;
  layernorm_backward(dout: Ptr, x: Ptr, gamma: Ptr, mean: Ptr, rstd: Ptr, R: number, C: number, dx: Ptr, dgamma: Ptr, dbeta: Ptr): void;
  gelu_forward(x: Ptr, out: Ptr, n: number): void;
  gelu_backward(x: Ptr, dout: Ptr, dx: Ptr, n: number): void;
  softmax_forward(x: Ptr, R: number, C: number, out: Ptr): void;
  softmax_backward(y: Ptr, dy: Ptr, R: number, C: number, dx: Ptr): void;
  attention_forward(q: Ptr, k: Ptr, v: Ptr, keyMask: Ptr, B: number, T: number, nH: number, d: number, scale: number, dropMask: Ptr, probs: Ptr, out: Ptr, scratch: Ptr): void;
  attention_backward(dout: Ptr, q: Ptr, k: Ptr, v: Ptr, probs: Ptr, dropMask: Ptr, B: number, T: number, nH: number, d: number, scale: number, dq: Ptr, dk: Ptr, dv: Ptr, scratch: Ptr): void;
  cross_entropy_forward(logits: Ptr, targets: Ptr, R: number, C: number, ignoreIndex: number, probs: Ptr, rowStats: Ptr): void;
  cross_entropy_backward(probs: Ptr, targets: Ptr, R: number, C: number, ignoreIndex: number, scale: number, dlogits: Ptr): void;
  adamw_update(p: Ptr, g: Ptr, m: Ptr, v: Ptr, n: number, decay: number, w: number, oneMinusW: number, b2: number, oneMinusB2: number, bc2Sqrt: number, eps: number, negStep: number): void;
}

const PAGE = 65536;
const MAX_BYTES = 4 * 1024 * 1024 * 1024; // wasm32 address space

/**
 * Bump allocator over the module's memory: `begin` resets it, `alloc` hands out 16-byte aligned
 * byte offsets (growing memory when needed), then `put`/`get` copy between JS arrays and it.
 */
class Arena {
  private top = 0;
  private buf: ArrayBuffer;
  private f32v: Float32Array;
  private i32v: Int32Array;
  private f64v: Float64Array;
  /** Bytes copied into / out of wasm memory since the last `resetCounters` (bench). */
  copiedIn = 0;
  copiedOut = 0;

  constructor(
    private readonly mem: WebAssembly.Memory,
    private readonly base: number,
  ) {
    this.buf = mem.buffer;
    this.f32v = new Float32Array(this.buf);
    this.i32v = new Int32Array(this.buf);
    this.f64v = new Float64Array(this.buf);
  }

  /** Arrays placed in this call: the same view passed twice gets the same wasm pointer. */
  private placed: Array<{ buf: ArrayBufferLike; off: number; n: number; p: Ptr }> = [];

  begin(): void {
    this.top = this.base;
    this.placed.length = 0;
  }

  /**
   * Copies the first n elements of `src` in (once per call per view: a view passed again, e.g.
   * attention(x, x, x) whose dq, dk, dv are one gradient buffer, shares the pointer, so
   * accumulations into it add up in place as they do in the js and native kernels).
   */
  in(kernel: string, src: Float32Array | Int32Array, n: number): Ptr {
    for (const e of this.placed) if (e.buf === src.buffer && e.off === src.byteOffset && e.n >= n) return e.p;
    const p = this.alloc(kernel, n);
    this.put(p, src, n);
    this.placed.push({ buf: src.buffer, off: src.byteOffset, n, p });
    return p;
  }

  /** Highest byte the arena has used so far (memory.buffer.byteLength). */
  get bytes(): number {
    return this.mem.buffer.byteLength;
  }

  private views(): void {
    if (this.mem.buffer !== this.buf) {
      this.buf = this.mem.buffer;
      this.f32v = new Float32Array(this.buf);
      this.i32v = new Int32Array(this.buf);
      this.f64v = new Float64Array(this.buf);
    }
  }

  /** `n` elements of 4 bytes (8 when `wide`); 0 elements still get a distinct non-null pointer. */
  alloc(kernel: string, n: number, wide = false): Ptr {
    const p = (this.top + 15) & ~15;
    const end = p + Math.max(n, 1) * (wide ? 8 : 4);
    if (end > MAX_BYTES) throw new RangeError(`${kernel}: needs ${end} bytes of WebAssembly memory, more than wasm32's 4 GiB (use the native backend for such sizes)`);
    const have = this.mem.buffer.byteLength;
    if (end > have) {
      // grow at least 1.5x so a sequence of slightly larger calls does not grow every time
      const want = Math.min(MAX_BYTES, Math.max(end, Math.floor(have * 1.5)));
      try {
        this.mem.grow(Math.ceil((want - have) / PAGE));
      } catch (e) {
        throw new RangeError(`${kernel}: could not grow WebAssembly memory to ${want} bytes: ${(e as Error).message}`, { cause: e });
      }
    }
    this.top = end;
    return p;
  }

  get f32(): Float32Array {
    this.views();
    return this.f32v;
  }
  get f64(): Float64Array {
    this.views();
    return this.f64v;
  }

  put(p: Ptr, src: Float32Array | Int32Array, n: number): void {
    if (n === 0) return;
    this.views();
    const view = src instanceof Int32Array ? this.i32v : this.f32v;
    view.set(n === src.length ? src : src.subarray(0, n), p >>> 2);
    this.copiedIn += 4 * n;
  }

  get(p: Ptr, dst: Float32Array, n: number, dstOffset = 0): void {
    if (n === 0) return;
    this.views();
    dst.set(this.f32v.subarray(p >>> 2, (p >>> 2) + n), dstOffset);
    this.copiedOut += 4 * n;
  }
}

/** RangeError unless every value is a non-negative integer (wasm takes unsigned 32-bit sizes). */
function checkTargets(kernel: string, targets: Int32Array, R: number, C: number, ignoreIndex: number): void {
  for (let r = 0; r < R; r++) {
    const t = targets[r]!;
    if (t !== ignoreIndex && !(t >= 0 && t < C)) throw new RangeError(`${kernel}: target ${t} at row ${r} is outside [0, ${C}) and is not ignoreIndex ${ignoreIndex}`);
  }
}

export interface WasmModule {
  exports: WasmExports;
  arena: Arena;
  file: string;
}

let moduleCache: WasmModule | null | undefined;
let loadError: string | null = null;

/** The wasm file shipped in the package (ADAPTEXT_WASM_PATH overrides it). */
export function wasmPath(): string | null {
  if (process.env['ADAPTEXT_WASM_PATH']) return process.env['ADAPTEXT_WASM_PATH'];
  const root = packageRoot();
  return root === null ? null : join(root, 'native', 'wasm', 'adaptext.wasm');
}

/** Compiles and instantiates the module once (synchronously: it is ~35 KB), or null (see wasmLoadError). */
export function loadWasmModule(): WasmModule | null {
  if (moduleCache !== undefined) return moduleCache;
  moduleCache = null;
  const file = wasmPath();
  if (file === null || !existsSync(file)) {
    loadError = `WebAssembly kernels not found (looked for ${file ?? 'native/wasm/adaptext.wasm under the package root'})`;
    return null;
  }
  try {
    const mod = new WebAssembly.Module(readFileSync(file));
    const inst = new WebAssembly.Instance(mod, {});
    const exports = inst.exports as unknown as WasmExports;
    moduleCache = { exports, arena: new Arena(exports.memory, exports.heap_base()), file };
  } catch (e) {
    // A CompileError here on an old engine means no WebAssembly SIMD (v128) support.
    loadError = `WebAssembly kernels ${file} failed to load (this JavaScript engine may lack WebAssembly SIMD): ${(e as Error).message.split('\n')[0]}`;
  }
  return moduleCache;
}

/** Why the wasm kernels are unavailable, or null when they loaded (or were not tried yet). */
export function wasmLoadError(): string | null {
  return loadError;
}

export function loadWasmKernels(): Kernels | null {
  const m = loadWasmModule();
  return m === null ? null : makeWasmKernels(m);
}

function makeWasmKernels({ exports: w, arena: a }: WasmModule): Kernels {
  /**
   * gemm / gemmBatched after their dims, given check.gemm's arguments (gemm: batch 1, strides 0):
   * checks the buffers, then copies A and B in and allocates C's span. Null when there is nothing
   * to compute.
   */
  function gemmOperands(...args: Parameters<typeof check.gemm>): { pA: Ptr; pB: Ptr; pC: Ptr; cEnd: number } | null {
    const [k, batch, , , M, N, , , A, , , B, , , , C] = args;
    check.need(k, 'A', A, 0);
    check.need(k, 'B', B, 0);
    check.need(k, 'C', C, 0);
    if (batch === 0) return null;
    const { aEnd, bEnd, cEnd } = check.gemm(...args);
    noOverlap(k, C, 'C', cEnd, A, 'A', aEnd);
    noOverlap(k, C, 'C', cEnd, B, 'B', bEnd);
    if (M === 0 || N === 0) return null;
    a.begin();
    const pA = a.in(k, A, aEnd);
    const pB = a.in(k, B, bEnd);
    const pC = a.alloc(k, cEnd);
    return { pA, pB, pC, cEnd };
  }

  const table: Kernels = {
    ...jsKernels,
    name: 'wasm',
    description: 'wasm (WebAssembly SIMD kernels, 1 thread; embedding/dropout/norms from js)',

    gemm(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc) {
      const k = 'gemm';
      dims(k, { M, N, K, lda, ldb, ldc });
      const ops = gemmOperands(k, 1, transA, transB, M, N, K, alpha, A, lda, 0, B, ldb, 0, beta, C, ldc, 0);
      if (ops === null) return;
      const { pA, pB, pC, cEnd } = ops;
      // beta = 0 never reads C; padding columns (ldc > N) are copied in so they come back unchanged
      if (beta !== 0 || ldc !== N) a.put(pC, C, cEnd);
      w.gemm(transA ? 1 : 0, transB ? 1 : 0, M, N, K, alpha, pA, lda, pB, ldb, beta, pC, ldc);
      a.get(pC, C, cEnd);
    },

    // no bf16 arithmetic in wasm SIMD: bf16-rounded copies, then the fp32 wasm gemm above
    gemmBf16(...args) {
      emulatedGemmBf16(table.gemm, ...args);
    },

    gemmBatched(batch, transA, transB, M, N, K, alpha, A, lda, strideA, B, ldb, strideB, beta, C, ldc, strideC) {
      const k = 'gemmBatched';
      dims(k, { batch, M, N, K, lda, ldb, ldc, strideA, strideB, strideC });
      const ops = gemmOperands(k, batch, transA, transB, M, N, K, alpha, A, lda, strideA, B, ldb, strideB, beta, C, ldc, strideC);
      if (ops === null) return;
      const { pA, pB, pC, cEnd } = ops;
      // C's span may hold elements no matrix writes (gaps, interleaving): copy it in unless dense and unread
      const dense = ldc === N && (batch === 1 || strideC === M * N);
      if (beta !== 0 || !dense) a.put(pC, C, cEnd);
      w.gemm_batched(batch, transA ? 1 : 0, transB ? 1 : 0, M, N, K, alpha, pA, lda, strideA, pB, ldb, strideB, beta, pC, ldc, strideC);
      a.get(pC, C, cEnd);
    },

    layerNormForward(x, gamma, beta, R, C, eps, out, mean, rstd) {
      const k = 'layerNormForward';
      dims(k, { R, C });
      check.layerNormForward(x, gamma, beta, R, C, out, mean, rstd);
      if (R === 0) return;
      a.begin();
      const px = a.in(k, x, R * C);
      const pg = a.in(k, gamma, C);
      const pb = a.in(k, beta, C);
      const po = a.alloc(k, R * C);
      const pm = a.alloc(k, R);
      const pr = a.alloc(k, R);
      w.layernorm_forward(px, pg, pb, R, C, eps, po, pm, pr);
      a.get(po, out, R * C);
      a.get(pm, mean, R);
      a.get(pr, rstd, R);
    },

    layerNormBackward(dout, x, gamma, mean, rstd, R, C, dx, dgamma, dbeta) {
      const k = 'layerNormBackward';
      dims(k, { R, C });
      check.layerNormBackward(dout, x, gamma, mean, rstd, R, C, dx, dgamma, dbeta);
      if (R === 0 || (dx === null && dgamma === null && dbeta === null)) return;
      a.begin();
      const pdo = a.in(k, dout, R * C);
      const px = a.in(k, x, R * C);
      const pg = a.in(k, gamma, C);
      const pm = a.in(k, mean, R);
      const pr = a.in(k, rstd, R);
      const pdx = dx === null ? 0 : a.in(k, dx, R * C);
      const pdg = dgamma === null ? 0 : a.in(k, dgamma, C);
      const pdb = dbeta === null ? 0 : a.in(k, dbeta, C);
      w.layernorm_backward(pdo, px, pg, pm, pr, R, C, pdx, pdg, pdb);
      if (dx !== null) a.get(pdx, dx, R * C);
      if (dgamma !== null) a.get(pdg, dgamma, C);
      if (dbeta !== null) a.get(pdb, dbeta, C);
    },

    geluForward(x, out) {
      check.geluForward(x, out);
      const n = x.length;
      if (n === 0) return;
      a.begin();
      const px = a.in('geluForward', x, n);
      const po = a.alloc('geluForward', n);
      w.gelu_forward(px, po, n);
      a.get(po, out, n);
    },

    geluBackward(x, dout, dx) {
      check.geluBackward(x, dout, dx);
      const n = x.length;
      if (n === 0) return;
      a.begin();
      const px = a.in('geluBackward', x, n);
      const pd = a.in('geluBackward', dout, n);
      const pdx = a.in('geluBackward', dx, n);
      w.gelu_backward(px, pd, pdx, n);
      a.get(pdx, dx, n);
    },

    softmaxForward(x, R, C, out) {
      const k = 'softmaxForward';
      dims(k, { R, C });
      check.softmaxForward(x, R, C, out);
      if (R * C === 0) return;
      a.begin();
      const px = a.in(k, x, R * C);
      const po = a.alloc(k, R * C);
      w.softmax_forward(px, R, C, po);
      a.get(po, out, R * C);
    },

    softmaxBackward(y, dy, R, C, dx) {
      const k = 'softmaxBackward';
      dims(k, { R, C });
      check.softmaxBackward(y, dy, R, C, dx);
      if (R * C === 0) return;
      a.begin();
      const py = a.in(k, y, R * C);
      const pdy = a.in(k, dy, R * C);
      const pdx = a.in(k, dx, R * C);
      w.softmax_backward(py, pdy, R, C, pdx);
      a.get(pdx, dx, R * C);
    },

    attentionForward(q, k, v, keyMask, B, T, nH, d, scale, dropMask, probs, out) {
      const n = 'attentionForward';
      dims(n, { B, T, nH, d });
      const { BTH, P } = check.attentionForward(q, k, v, keyMask, B, T, nH, d, dropMask, probs, out);
      if (P === 0) return;
      a.begin();
      const pq = a.in(n, q, BTH);
      const pk = a.in(n, k, BTH);
      const pv = a.in(n, v, BTH);
      const pkm = keyMask === null ? 0 : a.in(n, keyMask, B * T);
      const pdm = dropMask === null ? 0 : a.in(n, dropMask, P);
      const pp = a.alloc(n, P);
      const po = a.alloc(n, BTH);
      const ps = a.alloc(n, dropMask === null ? 0 : T * T);
      w.attention_forward(pq, pk, pv, pkm, B, T, nH, d, scale, pdm, pp, po, ps);
      a.get(pp, probs, P);
      a.get(po, out, BTH);
    },

    attentionBackward(dout, q, k, v, probs, dropMask, B, T, nH, d, scale, dq, dk, dv) {
      const n = 'attentionBackward';
      dims(n, { B, T, nH, d });
      const { BTH, P } = check.attentionBackward(dout, q, k, v, probs, dropMask, B, T, nH, d, dq, dk, dv);
      if (BTH === 0) return;
      a.begin();
      const pdo = a.in(n, dout, BTH);
      const pq = a.in(n, q, BTH);
      const pk = a.in(n, k, BTH);
      const pv = a.in(n, v, BTH);
      const pp = a.in(n, probs, P);
      const pdm = dropMask === null ? 0 : a.in(n, dropMask, P);
      const pdq = a.in(n, dq, BTH);
      const pdk = a.in(n, dk, BTH);
      const pdv = a.in(n, dv, BTH);
      const ps = a.alloc(n, 2 * T * T);
      w.attention_backward(pdo, pq, pk, pv, pp, pdm, B, T, nH, d, scale, pdq, pdk, pdv, ps);
      a.get(pdq, dq, BTH);
      a.get(pdk, dk, BTH);
      a.get(pdv, dv, BTH);
    },

    crossEntropyForward(logits, targets, R, C, ignoreIndex, probs) {
      const k = 'crossEntropyForward';
      dims(k, { R, C });
      check.crossEntropyForward(logits, targets, R, C, probs);
      checkTargets(k, targets, R, C, ignoreIndex);
      if (R === 0) return { lossSum: 0, count: 0 };
      a.begin();
      const pl = a.in(k, logits, R * C);
      const pt = a.in(k, targets, R);
      const pp = a.alloc(k, R * C);
      const pst = a.alloc(k, 2 * R, true); // [R,2] float64: sum exp(x - max), max
      w.cross_entropy_forward(pl, pt, R, C, ignoreIndex, pp, pst);
      const st = a.f64;
      const s0 = pst >>> 3;
      let lossSum = 0;
      let count = 0;
      for (let r = 0; r < R; r++) {
        const t = targets[r]!;
        if (t === ignoreIndex) continue;
        // (ignored rows of probs "may hold anything": they keep the caller's values)
        a.get(pp + 4 * r * C, probs, C, r * C);
        lossSum += Math.log(st[s0 + 2 * r]!) + st[s0 + 2 * r + 1]! - logits[r * C + t]!;
        count++;
      }
      return { lossSum, count };
    },

    crossEntropyBackward(probs, targets, R, C, ignoreIndex, scale, dlogits) {
      const k = 'crossEntropyBackward';
      dims(k, { R, C });
      check.crossEntropyBackward(probs, targets, R, C, dlogits);
      checkTargets(k, targets, R, C, ignoreIndex);
      if (R * C === 0) return;
      a.begin();
      const pp = a.in(k, probs, R * C);
      const pt = a.in(k, targets, R);
      const pd = a.in(k, dlogits, R * C);
      w.cross_entropy_backward(pp, pt, R, C, ignoreIndex, scale, pd);
      a.get(pd, dlogits, R * C);
    },

    adamwUpdate(param, grad, m, v, lr, beta1, beta2, eps, weightDecay, step) {
      const k = 'adamwUpdate';
      check.adamwUpdate(param, grad, m, v, step);
      const n = param.length;
      if (n === 0) return;
      // torch's python-float scalars: float64, rounded to float once (native/src/adamw.cc)
      const f = Math.fround;
      const wgt = f(1 - beta1);
      a.begin();
      const pp = a.in(k, param, n);
      const pg = a.in(k, grad, n);
      const pm = a.in(k, m, n);
      const pv = a.in(k, v, n);
      w.adamw_update(pp, pg, pm, pv, n, f(1 - lr * weightDecay), wgt, f(1 - wgt), f(beta2), f(1 - beta2), f(Math.sqrt(1 - Math.pow(beta2, step))), f(eps), f(-lr / (1 - Math.pow(beta1, step))));
      a.get(pp, param, n);
      a.get(pm, m, n);
      a.get(pv, v, n);
    },
  };
  return table;
}

/**
 * Benchmark hook: seconds for `iters` wasm GEMM calls on operands already in wasm memory (no
 * copies), to set against `kernels().gemm` through the table (which copies A, B and C).
 */
export function benchWasmGemm(transA: boolean, transB: boolean, M: number, N: number, K: number, iters: number): number {
  const m = loadWasmModule();
  if (m === null) throw new Error(`benchWasmGemm: ${wasmLoadError()}`);
  const { exports: w, arena: a } = m;
  a.begin();
  const pA = a.alloc('benchWasmGemm', M * K);
  const pB = a.alloc('benchWasmGemm', K * N);
  const pC = a.alloc('benchWasmGemm', M * N);
  const f = a.f32;
  for (let i = 0; i < M * K; i++) f[(pA >>> 2) + i] = ((i * 7919) % 1000) / 1000 - 0.5;
  for (let i = 0; i < K * N; i++) f[(pB >>> 2) + i] = ((i * 104729) % 1000) / 1000 - 0.5;
  const lda = transA ? M : K;
  const ldb = transB ? K : N;
  w.gemm(transA ? 1 : 0, transB ? 1 : 0, M, N, K, 1, pA, lda, pB, ldb, 0, pC, N); // warm-up
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < iters; i++) w.gemm(transA ? 1 : 0, transB ? 1 : 0, M, N, K, 1, pA, lda, pB, ldb, 0, pC, N);
  return Number(process.hrtime.bigint() - t0) / 1e9;
}
