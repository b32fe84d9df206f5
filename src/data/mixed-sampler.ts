// Mixed-domain sampler for the alignment stage: every batch holds both domains, in a fixed
// split of the batch size (default 70% source / 30% target).
//
// Rounding rule: sourcePerBatch = round(batchSize × sourceRatio), clamped to [1, batchSize-1]
// so neither domain is ever absent; targetPerBatch = batchSize − sourcePerBatch.
// E.g. batch 16 at 0.7 → 11 source + 5 target (68.75%); batch 8 → 6 + 2; batch 32 → 22 + 10.
//
// An epoch is one pass over the source set (each source example exactly once, in random
// order). Target examples are drawn from a cycle: a random permutation consumed in order and
// reshuffled when used up, so every target example is seen before any repeats, across
// epochs. A final smaller source batch (r < sourcePerBatch) gets max(1, round(r × target/source))
// target examples, so it keeps the mix.
//
// Optional length bucketing (as in batching.ts): source examples are sorted by length within
// chunks of `bucketBatches` batches; the target examples drawn for a chunk are sorted too and
// handed out in the same order, so short source rows meet short target rows.
//
// Resume: save `getState()` before calling `epoch()`; after `setState()` the same call returns
// the same plan (skip the batches already done).
import type { Rng } from '../tensor/rng.js';
import type { EncodedExample } from './encode.js';
import { collate, type Batch, type CollateOptions } from './batching.js';

export interface MixedSamplerOptions {
  batchSize: number;
  /** Share of each batch from the source domain (default 0.7). */
  sourceRatio?: number;
  /** The sampler's own generator (pass a fork: getState/setState save and restore it). */
  rng: Rng;
  /** Token counts for length bucketing (both or neither). */
  sourceLengths?: ArrayLike<number>;
  targetLengths?: ArrayLike<number>;
  /** Batches per length bucket (default 50). */
  bucketBatches?: number;
}

/** One batch: indices into the source list and into the target list. */
export interface MixedBatchPlan {
  source: number[];
  target: number[];
}

export interface MixedSamplerState {
  rng: number[];
  targetOrder: number[];
  targetCursor: number;
  epochs: number;
}

/** The stated rounding rule, exported so configs and logs can show the actual split. */
export function mixedBatchSplit(batchSize: number, sourceRatio: number): { source: number; target: number } {
  if (!Number.isInteger(batchSize) || batchSize < 2) {
    throw new Error(`mixed sampler: batchSize must be an integer >= 2 (a batch holds both domains), got ${batchSize}`);
  }
  if (!(sourceRatio > 0 && sourceRatio < 1)) throw new Error(`mixed sampler: sourceRatio must be in (0, 1), got ${sourceRatio}`);
  const source = Math.min(batchSize - 1, Math.max(1, Math.round(batchSize * sourceRatio)));
  return { source, target: batchSize - source };
}

export class MixedDomainSampler {
  readonly sourcePerBatch: number;
  readonly targetPerBatch: number;
  private readonly rng: Rng;
  private targetOrder: number[] = [];
  private targetCursor = 0;
  /** Epochs planned so far. */
  epochs = 0;

  constructor(
    readonly sourceSize: number,
    readonly targetSize: number,
    private readonly opts: MixedSamplerOptions,
  ) {
    if (!Number.isInteger(sourceSize) || sourceSize < 1) throw new Error(`mixed sampler: the source set is empty (${sourceSize} examples)`);
    if (!Number.isInteger(targetSize) || targetSize < 1) throw new Error(`mixed sampler: the target set is empty (${targetSize} examples)`);
    const split = mixedBatchSplit(opts.batchSize, opts.sourceRatio ?? 0.7);
    this.sourcePerBatch = split.source;
    this.targetPerBatch = split.target;
    this.rng = opts.rng;
    const { sourceLengths: sl, targetLengths: tl } = opts;
    if ((sl === undefined) !== (tl === undefined)) throw new Error('mixed sampler: give both sourceLengths and targetLengths, or neither');
    if (sl !== undefined && sl.length !== sourceSize) throw new Error(`mixed sampler: sourceLengths has ${sl.length} entries for ${sourceSize} source examples`);
    if (tl !== undefined && tl.length !== targetSize) throw new Error(`mixed sampler: targetLengths has ${tl.length} entries for ${targetSize} target examples`);
    const bb = opts.bucketBatches ?? 50;
    if (!Number.isInteger(bb) || bb < 1) throw new Error(`mixed sampler: bucketBatches must be a positive integer, got ${bb}`);
  }

  get batchesPerEpoch(): number {
    return Math.ceil(this.sourceSize / this.sourcePerBatch);
  }

  private drawTarget(): number {
    if (this.targetCursor >= this.targetOrder.length) {
      this.targetOrder = this.rng.shuffle(Array.from({ length: this.targetSize }, (_, i) => i));
      this.targetCursor = 0;
    }
    return this.targetOrder[this.targetCursor++]!;
  }

  /** Plans the next epoch: `batchesPerEpoch` batches, each with both domains. */
  epoch(): MixedBatchPlan[] {
    const { sourceLengths: sl, targetLengths: tl } = this.opts;
    const sp = this.sourcePerBatch;
    const tp = this.targetPerBatch;
    const order = this.rng.shuffle(Array.from({ length: this.sourceSize }, (_, i) => i));
    const chunk = sp * (sl !== undefined ? (this.opts.bucketBatches ?? 50) : 1);
    const plan: MixedBatchPlan[] = [];
    for (let c = 0; c < order.length; c += chunk) {
      const part = order.slice(c, c + chunk);
      if (sl !== undefined) part.sort((a, b) => sl[a]! - sl[b]!);
      const srcBatches: number[][] = [];
      for (let i = 0; i < part.length; i += sp) srcBatches.push(part.slice(i, i + sp));
      const counts = srcBatches.map((b) => (b.length === sp ? tp : Math.max(1, Math.round((b.length * tp) / sp))));
      const drawn: number[] = [];
      for (const k of counts) for (let j = 0; j < k; j++) drawn.push(this.drawTarget());
      if (tl !== undefined) drawn.sort((a, b) => tl[a]! - tl[b]!);
      let at = 0;
      srcBatches.forEach((src, i) => {
        plan.push({ source: src, target: drawn.slice(at, at + counts[i]!) });
        at += counts[i]!;
      });
    }
    if (sl !== undefined) this.rng.shuffle(plan);
    this.epochs += 1;
    return plan;
  }

  getState(): MixedSamplerState {
    return { rng: this.rng.getState(), targetOrder: [...this.targetOrder], targetCursor: this.targetCursor, epochs: this.epochs };
  }

  setState(s: MixedSamplerState): void {
    if (!Array.isArray(s.targetOrder) || s.targetOrder.length > 0 && s.targetOrder.length !== this.targetSize) {
      throw new Error(`mixed sampler: saved state is for ${s.targetOrder?.length} target examples, this sampler has ${this.targetSize}`);
    }
    if (!Number.isInteger(s.targetCursor) || s.targetCursor < 0 || s.targetCursor > s.targetOrder.length) {
      throw new Error(`mixed sampler: saved target cursor ${s.targetCursor} is out of range`);
    }
    this.rng.setState(s.rng);
    this.targetOrder = [...s.targetOrder];
    this.targetCursor = s.targetCursor;
    this.epochs = s.epochs;
  }
}

/**
 * Builds the padded batch for one plan: source rows first, then target rows. The two lists must
 * carry different domain ids (set at encodeExamples), which is what the discriminator learns.
 */
export function collateMixed(
  source: readonly EncodedExample[],
  target: readonly EncodedExample[],
  plan: MixedBatchPlan,
  padId: number,
  opts: CollateOptions = {},
): Batch {
  const rows = [...plan.source.map((i) => source[i]!), ...plan.target.map((i) => target[i]!)];
  const sd = new Set(plan.source.map((i) => source[i]!.domain));
  for (const i of plan.target) {
    if (sd.has(target[i]!.domain)) {
      throw new Error(`collateMixed: target example ${target[i]!.where} has domain id ${target[i]!.domain}, same as the source rows (encode the two sets with different domain ids)`);
    }
  }
  return collate(rows, padId, opts);
}
