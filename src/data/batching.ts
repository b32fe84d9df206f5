// Length-bucketed batching with dynamic padding.
//
// Why buckets: padding every batch to the longest sequence in the data wastes most of the
// compute on short reviews. Training batches are drawn from chunks of `bucketBatches` batches'
// worth of shuffled examples, each chunk sorted by length and cut into batches, and the batch
// order shuffled again — random batches whose members have similar lengths. Evaluation sorts the
// whole set by length (no shuffling); `exampleIndex` maps rows back to the input order.
// Everything random goes through the given Rng, so a plan is reproducible from its state.
//
// Shape legend: B batch rows, T longest sequence in the batch (padded length).
import type { Rng } from '../tensor/rng.js';
import { IGNORE_INDEX } from './examples.js';
import type { EncodedExample } from './encode.js';

export interface Batch {
  B: number;
  T: number;
  /** [B*T] token ids, padded with the pad id. */
  inputIds: Int32Array;
  /** [B*T] 1 = real token, 0 = padding. */
  attentionMask: Float32Array;
  /** [B*T] segment ids (all 0: single-sentence tasks). */
  tokenTypeIds: Int32Array;
  /** [B*T] word index of each token, -1 for special tokens and padding (whole-word masking). */
  wordIds: Int32Array;
  /** [B] sequence-classification labels, IGNORE_INDEX (-100) where a row has none. */
  labels: Int32Array;
  /** [B*T] token-classification labels, IGNORE_INDEX where none (all of it for text rows). */
  tokenLabels: Int32Array;
  /** [B] domain id per row. */
  domain: Int32Array;
  /** [B] index of each row's example in the encoded list it came from. */
  exampleIndex: Int32Array;
  /** [B*T] masked-LM labels (original id at masked positions, else -100); set by the MLM collator. */
  mlmLabels?: Int32Array;
}

export interface CollateOptions {
  /** Round T up to a multiple of this (e.g. 8), default 1. */
  padToMultipleOf?: number;
}

/** Pads a list of encoded examples into one batch (T = longest example, rounded up if asked). */
export function collate(examples: readonly EncodedExample[], padId: number, opts: CollateOptions = {}): Batch {
  const B = examples.length;
  if (B === 0) throw new Error('collate: empty batch');
  if (!Number.isInteger(padId) || padId < 0) throw new Error(`collate: padId must be a non-negative integer, got ${padId}`);
  const mult = opts.padToMultipleOf ?? 1;
  if (!Number.isInteger(mult) || mult < 1) throw new Error(`collate: padToMultipleOf must be a positive integer, got ${mult}`);
  let T = 0;
  for (const e of examples) T = Math.max(T, e.ids.length);
  T = Math.ceil(T / mult) * mult;
  const inputIds = new Int32Array(B * T).fill(padId);
  const attentionMask = new Float32Array(B * T);
  const tokenTypeIds = new Int32Array(B * T);
  const wordIds = new Int32Array(B * T).fill(-1);
  const labels = new Int32Array(B);
  const tokenLabels = new Int32Array(B * T).fill(IGNORE_INDEX);
  const domain = new Int32Array(B);
  const exampleIndex = new Int32Array(B);
  examples.forEach((e, b) => {
    const o = b * T;
    inputIds.set(e.ids, o);
    attentionMask.fill(1, o, o + e.ids.length);
    wordIds.set(e.wordIds, o);
    if (e.tokenTypeIds != null) tokenTypeIds.set(e.tokenTypeIds, o);
    if (e.tokenLabels !== null) tokenLabels.set(e.tokenLabels, o);
    labels[b] = e.label;
    domain[b] = e.domain;
    exampleIndex[b] = e.index;
  });
  return { B, T, inputIds, attentionMask, tokenTypeIds, wordIds, labels, tokenLabels, domain, exampleIndex };
}

export interface PlanOptions {
  batchSize: number;
  /** Training: random batches (needs rng). Evaluation: false — batches in length order. */
  shuffle: boolean;
  rng?: Rng;
  /** Training: how many batches' worth of examples are sorted together (default 50; 1 = no bucketing). */
  bucketBatches?: number;
  /** Drop a final batch smaller than batchSize (default false). */
  dropLast?: boolean;
}

/**
 * Groups example indices into batches by length (see the file header). `lengths[i]` is the
 * token count of example i. Returns index lists; every index appears once (unless dropLast).
 */
export function planBatches(lengths: ArrayLike<number>, opts: PlanOptions): number[][] {
  const { batchSize, shuffle } = opts;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`planBatches: batchSize must be a positive integer, got ${batchSize}`);
  const bucket = opts.bucketBatches ?? 50;
  if (!Number.isInteger(bucket) || bucket < 1) throw new Error(`planBatches: bucketBatches must be a positive integer, got ${bucket}`);
  const n = lengths.length;
  const order = Array.from({ length: n }, (_, i) => i);
  const byLength = (a: number, b: number) => lengths[a]! - lengths[b]!; // Array.sort is stable
  const batches: number[][] = [];
  if (!shuffle) {
    order.sort(byLength);
    for (let i = 0; i < n; i += batchSize) batches.push(order.slice(i, i + batchSize));
  } else {
    const rng = opts.rng;
    if (rng === undefined) throw new Error('planBatches: shuffle needs an rng (deterministic training)');
    rng.shuffle(order);
    const chunk = batchSize * bucket;
    for (let c = 0; c < n; c += chunk) {
      const part = order.slice(c, c + chunk).sort(byLength);
      for (let i = 0; i < part.length; i += batchSize) batches.push(part.slice(i, i + batchSize));
    }
    rng.shuffle(batches);
  }
  return opts.dropLast ? batches.filter((b) => b.length === batchSize) : batches;
}

/** Plans and collates one pass over `examples` (lazily, one batch at a time). */
export function* batches(
  examples: readonly EncodedExample[],
  padId: number,
  opts: PlanOptions & CollateOptions,
): Generator<Batch> {
  const plan = planBatches(examples.map((e) => e.ids.length), opts);
  for (const idx of plan) yield collate(idx.map((i) => examples[i]!), padId, opts);
}

/** Number of padding positions in a set of batches (the cost bucketing saves). */
export function paddingCount(plan: readonly (readonly number[])[], lengths: ArrayLike<number>): number {
  let pad = 0;
  for (const b of plan) {
    let T = 0;
    for (const i of b) T = Math.max(T, lengths[i]!);
    for (const i of b) pad += T - lengths[i]!;
  }
  return pad;
}
