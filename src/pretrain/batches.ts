// The batches of a pretraining run, in one place: the training stream (per-epoch permutation of
// the packed sequences drawn from the seed, MLM masking from its own RNG stream) and the fixed
// held-out batches (first N sequences, masked with a fixed seed). The trainer consumes them; the
// PyTorch parity harness (tools/parity) writes the very same batches to disk, so both frameworks
// see identical token ids and labels.
//
// Shape legend: B sequences per batch, T max length.
import { IGNORE_INDEX } from '../data/examples.js';
import type { Batch, MlmMasker } from '../data/index.js';
import { Rng } from '../tensor/index.js';
import type { Tokenizer } from '../text/index.js';
import { writeSequence, writeWordIds, type PackedCorpus } from './packing.js';
import type { DataPosition } from './state.js';

/** Seed of the held-out masking: the same positions are predicted at every evaluation of every run. */
export const EVAL_SEED = 1234;

/** A full-length batch of packed sequences (no padding). */
export function makeBatch(p: PackedCorpus, idx: ArrayLike<number>, tok: Tokenizer): Batch {
  const B = idx.length;
  const T = p.seqLen;
  const inputIds = new Int32Array(B * T);
  for (let b = 0; b < B; b++) writeSequence(p, idx[b]!, inputIds, b * T, tok.specialIds.cls, tok.specialIds.sep);
  // Word ids only with continuation marks (whole-word masking); otherwise -1, as before.
  const wordIds = new Int32Array(B * T).fill(-1);
  if (p.cont !== undefined) for (let b = 0; b < B; b++) writeWordIds(p, idx[b]!, wordIds, b * T);
  return {
    B,
    T,
    inputIds,
    attentionMask: new Float32Array(B * T).fill(1),
    tokenTypeIds: new Int32Array(B * T),
    wordIds,
    labels: new Int32Array(B).fill(IGNORE_INDEX),
    tokenLabels: new Int32Array(B * T).fill(IGNORE_INDEX),
    domain: new Int32Array(B),
    exampleIndex: Int32Array.from(idx),
  };
}

/** The order of sequences in one epoch: a permutation drawn from (seed, epoch). */
export function epochPermutation(n: number, seed: number, epoch: number): Int32Array {
  const a = Array.from({ length: n }, (_, i) => i);
  new Rng((seed * 1_000_003 + epoch * 7919 + 17) >>> 0).shuffle(a);
  return Int32Array.from(a);
}

/**
 * The training batches from a data position on: sequences in epoch-permutation order (a new
 * permutation at each epoch end), masked with `maskRng`. Resuming = the saved position and RNG state.
 */
export class TrainBatches {
  private perm: Int32Array;
  private pos: DataPosition;

  constructor(
    private readonly corpus: PackedCorpus,
    private readonly tok: Tokenizer,
    private readonly masker: MlmMasker,
    private readonly seed: number,
    readonly maskRng: Rng,
    start: DataPosition = { epoch: 0, cursor: 0 },
  ) {
    this.pos = { ...start };
    this.perm = epochPermutation(corpus.numSequences, seed, this.pos.epoch);
  }

  /** Where the next batch starts (saved in checkpoints). */
  get position(): DataPosition {
    return { ...this.pos };
  }

  next(batchSize: number): Batch {
    const idx = new Int32Array(batchSize);
    for (let b = 0; b < batchSize; b++) {
      if (this.pos.cursor >= this.perm.length) {
        this.pos = { epoch: this.pos.epoch + 1, cursor: 0 };
        this.perm = epochPermutation(this.corpus.numSequences, this.seed, this.pos.epoch);
      }
      idx[b] = this.perm[this.pos.cursor++]!;
    }
    return this.masker.mask(makeBatch(this.corpus, idx, this.tok), this.maskRng);
  }
}

/** The held-out batches: the first `maxSequences` sequences in order, masked with EVAL_SEED. */
export function* heldoutBatches(p: PackedCorpus, tok: Tokenizer, masker: MlmMasker, maxSequences: number, batchSize: number): Generator<Batch> {
  const n = Math.min(p.numSequences, maxSequences);
  const rng = new Rng(EVAL_SEED);
  for (let s = 0; s < n; s += batchSize) {
    const idx = Array.from({ length: Math.min(batchSize, n - s) }, (_, i) => s + i);
    yield masker.mask(makeBatch(p, idx, tok), rng);
  }
}
