// Masked-LM collator (BERT recipe, transformers DataCollatorForLanguageModeling /
// DataCollatorForWholeWordMask):
// - candidates: real tokens (attention mask 1) whose id is not special ([PAD] [UNK] [CLS] [SEP]
//   [MASK] and any extra ids given) — as in transformers, which never masks special ids;
// - token masking: each candidate is selected with probability `probability` (default 0.15);
// - whole-word masking: per row, the target count is max(1, round(candidates × probability));
//   words (tokens sharing a word id; a token without one is a word alone) are visited in random order and taken whole
//   while they fit (Google BERT's create_pretraining_data rule). A word is what the tokenizer's
//   word ids say: BERT's Chinese handling gives every CJK character its own word id, and text
//   pre-segmented into words (encodeWords) gives multi-character words — so Chinese whole-word
//   masking is the same code;
// - each selected token: 80% → [MASK], 10% → a random non-special token, 10% kept;
// - labels: the original id at selected positions, -100 elsewhere.
// All randomness comes from the given Rng, in row-major order: same state, same masks.
//
// Shape legend: B rows, T padded length.
import type { Rng } from '../tensor/rng.js';
import { IGNORE_INDEX } from './examples.js';
import type { Batch } from './batching.js';
import type { SpecialIds } from './tokenizer-like.js';

export interface MlmOptions {
  vocabSize: number;
  maskId: number;
  /** Ids never selected and never used as random replacements. */
  specialIds: readonly number[];
  /** Selection probability (default 0.15). */
  probability?: number;
  /** Share of selected tokens replaced by [MASK] (default 0.8). */
  maskReplace?: number;
  /** Share of selected tokens replaced by a random token (default 0.1); the rest stay. */
  randomReplace?: number;
  wholeWordMask?: boolean;
  /** Mask only rows for which this is true (e.g. target-domain rows); other rows get no labels. */
  rowFilter?: (row: number) => boolean;
}

export class MlmMasker {
  readonly probability: number;
  readonly maskReplace: number;
  readonly randomReplace: number;
  readonly wholeWordMask: boolean;
  private readonly isSpecial: Uint8Array; // [V]
  private readonly randomIds: Int32Array; // non-special ids
  private readonly maskId: number;
  private readonly rowFilter: ((row: number) => boolean) | undefined;

  constructor(opts: MlmOptions) {
    const V = opts.vocabSize;
    if (!Number.isInteger(V) || V < 1) throw new Error(`MlmMasker: vocabSize must be a positive integer, got ${V}`);
    const inVocab = (id: number) => Number.isInteger(id) && id >= 0 && id < V;
    if (!inVocab(opts.maskId)) throw new Error(`MlmMasker: maskId ${opts.maskId} outside the vocabulary [0, ${V})`);
    this.probability = opts.probability ?? 0.15;
    this.maskReplace = opts.maskReplace ?? 0.8;
    this.randomReplace = opts.randomReplace ?? 0.1;
    for (const [k, v] of [['probability', this.probability], ['maskReplace', this.maskReplace], ['randomReplace', this.randomReplace]] as const) {
      if (!(v >= 0 && v <= 1)) throw new Error(`MlmMasker: ${k} must be in [0, 1], got ${v}`);
    }
    if (this.maskReplace + this.randomReplace > 1 + 1e-12) {
      throw new Error(`MlmMasker: maskReplace + randomReplace must be <= 1, got ${this.maskReplace} + ${this.randomReplace}`);
    }
    this.wholeWordMask = opts.wholeWordMask ?? false;
    this.maskId = opts.maskId;
    this.rowFilter = opts.rowFilter;
    this.isSpecial = new Uint8Array(V);
    for (const id of [...opts.specialIds, opts.maskId]) {
      if (!inVocab(id)) throw new Error(`MlmMasker: special id ${id} outside the vocabulary [0, ${V})`);
      this.isSpecial[id] = 1;
    }
    const ids: number[] = [];
    for (let i = 0; i < V; i++) if (this.isSpecial[i] === 0) ids.push(i);
    if (ids.length === 0 && this.randomReplace > 0) throw new Error('MlmMasker: every vocabulary id is special; nothing to use as a random token');
    this.randomIds = Int32Array.from(ids);
  }

  /** From a tokenizer's special ids (pad, unk, cls, sep, mask) plus any extra special ids. */
  static fromTokenizer(
    tok: { specialIds: SpecialIds; vocabSize: number },
    opts: Omit<MlmOptions, 'vocabSize' | 'maskId' | 'specialIds'> & { extraSpecialIds?: readonly number[] } = {},
  ): MlmMasker {
    const s = tok.specialIds;
    return new MlmMasker({
      ...opts,
      vocabSize: tok.vocabSize,
      maskId: s.mask,
      specialIds: [s.pad, s.unk, s.cls, s.sep, s.mask, ...(opts.extraSpecialIds ?? [])],
    });
  }

  /** A copy of the batch with masked `inputIds` and `mlmLabels` [B*T]; the input batch is untouched. */
  mask(batch: Batch, rng: Rng): Batch {
    const { B, T } = batch;
    const inputIds = batch.inputIds.slice();
    const labels = new Int32Array(B * T).fill(IGNORE_INDEX);
    const candidate = (p: number) => batch.attentionMask[p] !== 0 && this.isSpecial[batch.inputIds[p]!] === 0;
    for (let b = 0; b < B; b++) {
      if (this.rowFilter !== undefined && !this.rowFilter(b)) continue;
      const o = b * T;
      if (!this.wholeWordMask) {
        for (let t = 0; t < T; t++) {
          const p = o + t;
          if (candidate(p) && rng.uniform() < this.probability) this.replace(p, inputIds, labels, rng);
        }
        continue;
      }
      // Whole words: runs of candidate tokens sharing a word id (-1 = a word of its own).
      // A non-candidate piece inside a word (e.g. an [UNK] sub-token) does not split the word.
      const words: number[][] = [];
      let lastWord = -1;
      let count = 0;
      for (let t = 0; t < T; t++) {
        const p = o + t;
        if (!candidate(p)) continue;
        count += 1;
        const w = batch.wordIds[p]!;
        if (w >= 0 && w === lastWord) words[words.length - 1]!.push(p);
        else words.push([p]);
        lastWord = w;
      }
      if (count === 0 || this.probability === 0) continue;
      const target = Math.max(1, Math.round(count * this.probability));
      rng.shuffle(words);
      let covered = 0;
      for (const word of words) {
        if (covered >= target) break;
        if (covered + word.length > target) continue;
        covered += word.length;
        for (const p of word) this.replace(p, inputIds, labels, rng);
      }
    }
    return { ...batch, inputIds, mlmLabels: labels };
  }

  private replace(p: number, inputIds: Int32Array, labels: Int32Array, rng: Rng): void {
    labels[p] = inputIds[p]!;
    const r = rng.uniform();
    if (r < this.maskReplace) inputIds[p] = this.maskId;
    else if (r < this.maskReplace + this.randomReplace) inputIds[p] = this.randomIds[rng.int(this.randomIds.length)]!;
  }
}
