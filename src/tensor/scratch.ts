// Reusable activation buffers for inferenceMode (tensor.ts). Every op output is a fresh
// ArrayBuffer; under Node each one is external memory to V8, which collects garbage after every
// few tens of megabytes of them — at BERT-base inference sizes that is several collections per
// forward pass, and then the allocator faults the pages in again. PyTorch frees an activation
// the moment its last reference goes; JavaScript cannot see that, but an inference call can:
// when it returns, every buffer it allocated that its result does not reach is dead, and the next
// call takes it instead of allocating.
//
// Buffers are pooled by exact length (a forward pass asks for the same few lengths again and
// again) up to SCRATCH_LIMIT_BYTES; what does not fit is left to the garbage collector. A length
// no outermost scope has asked for in its last SCRATCH_IDLE_SCOPES calls is dropped, so a server
// whose requests come in many padded lengths holds the buffers of recent lengths, not of all.

const NodeBuffer = (globalThis as { Buffer?: { allocUnsafeSlow(size: number): Uint8Array } }).Buffer;

/** Smallest buffer (elements) worth an unpooled Node Buffer or the pool: below it, a plain Float32Array. */
const SCRATCH_MIN_ELEMENTS = 1024;
/** Bytes the pool keeps at most (dead buffers beyond it go to the garbage collector). */
const SCRATCH_LIMIT_BYTES = 1 << 30;
/** Outermost scopes after which a length none of them asked for leaves the pool. */
const SCRATCH_IDLE_SCOPES = 8;

/** n float32s, NOT zeroed under Node (an unpooled Buffer's memory, as torch.empty); zeroed elsewhere. */
export function allocF32(n: number): Float32Array {
  if (NodeBuffer === undefined || n < SCRATCH_MIN_ELEMENTS) return new Float32Array(n);
  const b = NodeBuffer.allocUnsafeSlow(n * 4);
  return new Float32Array(b.buffer, b.byteOffset, n);
}

/** Dead buffers by length, and the outermost scope that last asked for that length. */
const pool = new Map<number, { buffers: Float32Array[]; lastUse: number }>();
let pooledBytes = 0;
/** Outermost scopes closed so far (the clock of `lastUse`). */
let outermostScopes = 0;
/** Buffers handed out by the innermost open scope (null: no scope, emptyF32 allocates). */
let open: Float32Array[] | null = null;

/** A buffer of n elements for an op output: from the pool inside a scope (contents undefined). */
export function scratchF32(n: number): Float32Array {
  if (open === null || n < SCRATCH_MIN_ELEMENTS) return allocF32(n);
  const b = takeUntracked(n) ?? allocF32(n);
  open.push(b);
  return b;
}

/**
 * A pooled buffer of n elements that no scope will release (contents undefined), or null: for a
 * gradient, which lives as long as its tensor holds it.
 */
export function takeUntracked(n: number): Float32Array | null {
  const bucket = pool.get(n);
  if (bucket === undefined) return null;
  bucket.lastUse = outermostScopes;
  const b = bucket.buffers.pop();
  if (b === undefined) return null;
  pooledBytes -= b.byteLength;
  return b;
}

/**
 * Hand buffers nothing references any more to the pool (backward's dead intermediate gradients),
 * when a scope is open to reuse them; otherwise they are left to the garbage collector.
 */
export function releaseDead(buffers: Iterable<Float32Array>): void {
  if (open === null) return;
  const poison = poisonReleased();
  for (const b of buffers) if (b.length >= SCRATCH_MIN_ELEMENTS) release(b, poison);
}

/**
 * Every ArrayBuffer `value` reaches through arrays, maps, sets, typed arrays and object fields
 * (depth-limited); null when it reaches a tensor whose graph a backward pass has still to walk
 * (a `backwardFn`, whose closure holds buffers no walk can see).
 */
function reachableBuffers(value: unknown): Set<ArrayBufferLike> | null {
  const found = new Set<ArrayBufferLike>();
  const seen = new Set<object>();
  let graph = false;
  const walk = (v: unknown, depth: number): void => {
    if (graph || v === null || typeof v !== 'object' || seen.has(v) || depth > 8) return;
    seen.add(v);
    if (ArrayBuffer.isView(v)) {
      found.add(v.buffer);
      return;
    }
    if (typeof (v as { backwardFn?: unknown }).backwardFn === 'function') {
      graph = true;
      return;
    }
    const items = v instanceof Map ? v.values() : v instanceof Set || Array.isArray(v) ? v.values() : Object.values(v);
    for (const x of items) walk(x, depth + 1);
  };
  walk(value, 0);
  return graph ? null : found;
}

/** ADAPTEXT_SCRATCH_CHECK=1: released buffers are filled with NaN (see withScratch). */
function poisonReleased(): boolean {
  return (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env['ADAPTEXT_SCRATCH_CHECK'] === '1';
}

function release(b: Float32Array, poison: boolean): void {
  if (pooledBytes + b.byteLength > SCRATCH_LIMIT_BYTES) return;
  if (poison) b.fill(NaN);
  const bucket = pool.get(b.length);
  if (bucket === undefined) pool.set(b.length, { buffers: [b], lastUse: outermostScopes });
  else bucket.buffers.push(b);
  pooledBytes += b.byteLength;
}

/** An outermost scope closed: drop the lengths the last SCRATCH_IDLE_SCOPES of them did not ask for. */
function closeOutermost(): void {
  outermostScopes++;
  for (const [n, bucket] of pool) {
    if (outermostScopes - bucket.lastUse <= SCRATCH_IDLE_SCOPES) continue;
    for (const b of bucket.buffers) pooledBytes -= b.byteLength;
    pool.delete(n);
  }
}

/**
 * Run `fn` with op outputs taken from the pool; when it returns, the buffers it allocated that
 * its result does not reach go back to the pool, and those it reaches belong to the enclosing
 * scope (if any). When `fn` throws nothing is pooled (the garbage collector takes it all).
 * Nothing is released either when the result reaches a recorded graph (a loss to call backward on
 * later, an encoder layer's output under autograd): its backward closures hold buffers no walk
 * can see, so every buffer goes to the enclosing scope. `fn` must be synchronous: a Promise
 * result is refused (its work would still be running on buffers this scope hands back).
 * ADAPTEXT_SCRATCH_CHECK=1 fills released buffers (and backward's dead gradients) with NaN, so a
 * tensor kept past its scope without being returned shows up as NaN instead of silently reading
 * another call's numbers.
 */
export function withScratch<T>(fn: () => T): T {
  const parent = open;
  const mine: Float32Array[] = [];
  open = mine;
  let result: T;
  try {
    result = fn();
  } finally {
    open = parent;
  }
  if (typeof (result as { then?: unknown } | null)?.then === 'function') {
    throw new TypeError('withScratch: the callback returned a Promise; a scratch scope runs synchronous code only (its buffers are reused as soon as it returns)');
  }
  const keep = reachableBuffers(result);
  if (keep === null)
    parent?.push(...mine); // nothing released here: the enclosing scope decides
  else {
    const poison = poisonReleased();
    for (const b of mine) {
      if (!keep.has(b.buffer)) release(b, poison);
      else parent?.push(b); // the enclosing scope owns what this one returns
    }
  }
  if (parent === null) closeOutermost();
  return result;
}

/** True inside withScratch (tensor.ts's scratchStep asks). */
export function scratchScopeOpen(): boolean {
  return open !== null;
}

/** Bytes held by the pool now, or those of buffers of `length` elements (tests, benchmarks). */
export function scratchPoolBytes(length?: number): number {
  if (length === undefined) return pooledBytes;
  return (pool.get(length)?.buffers ?? []).reduce((n, b) => n + b.byteLength, 0);
}
