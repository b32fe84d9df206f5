// FULL-SENTENCES packing (RoBERTa; HF run_mlm `group_texts`): the records of a corpus are
// tokenised without specials and joined into one stream, each record followed by [SEP]; the
// stream is cut into windows of T-2 tokens and every window becomes `[CLS] window [SEP]`.
// So every sequence is full (no padding, no wasted compute), records are never dropped
// however long they are, and a sequence spans neighbouring records of the same file where
// the text allows (documents meet at a [SEP], as in BERT/RoBERTa packing).
// Only the last, partial window of the stream is dropped. (A window may start right after a
// record's [SEP], so [SEP] [SEP] can occur at a boundary; harmless, both are special.)
//
// Shape legend: N sequences, T max length, S stream length.

import { wordIdsFromMarks } from '../text/whole-words.js';

export interface PackedCorpus {
  /** [S] token stream (records joined, each followed by [SEP]). */
  stream: Int32Array;
  /** T: the full sequence length incl. [CLS] and the final [SEP]. */
  seqLen: number;
  /** N = floor(S / (T-2)). */
  numSequences: number;
  /** Records that went in. */
  records: number;
  /** [S] whole-word continuation marks (1: same word as the previous token), when whole-word masking. */
  cont?: Uint8Array;
}

/** Join tokenised records into a stream (records: content ids without specials). */
export function buildStream(records: Iterable<ArrayLike<number>>, sepId: number): { stream: Int32Array; records: number } {
  const parts: ArrayLike<number>[] = [];
  let total = 0;
  let n = 0;
  for (const r of records) {
    if (r.length === 0) continue;
    parts.push(r);
    total += r.length + 1;
    n++;
  }
  const stream = new Int32Array(total);
  let o = 0;
  for (const r of parts) {
    for (let i = 0; i < r.length; i++) stream[o++] = r[i]!;
    stream[o++] = sepId;
  }
  return { stream, records: n };
}

/** The continuation marks joined like buildStream joins the records ([SEP] is never a continuation). */
export function buildMarks(marks: Iterable<ArrayLike<number>>): Uint8Array {
  const parts = [...marks].filter((m) => m.length > 0);
  const out = new Uint8Array(parts.reduce((n, m) => n + m.length + 1, 0));
  let o = 0;
  for (const m of parts) {
    out.set(m, o);
    o += m.length + 1;
  }
  return out;
}

export function packStream(stream: Int32Array, seqLen: number, records: number, cont?: Uint8Array): PackedCorpus {
  if (!Number.isInteger(seqLen) || seqLen < 3) throw new Error(`packing: max length must be an integer >= 3, got ${seqLen}`);
  if (cont !== undefined && cont.length !== stream.length) throw new Error(`packing: ${cont.length} continuation marks for ${stream.length} tokens`);
  const p: PackedCorpus = { stream, seqLen, numSequences: Math.floor(stream.length / (seqLen - 2)), records };
  if (cont !== undefined) p.cont = cont;
  return p;
}

/**
 * Write sequence `k` into `out` ([T], offset `o`): [CLS] stream[k*(T-2) .. (k+1)*(T-2)) [SEP].
 */
export function writeSequence(p: PackedCorpus, k: number, out: Int32Array, o: number, clsId: number, sepId: number): void {
  if (!(k >= 0 && k < p.numSequences)) throw new Error(`packing: sequence ${k} out of range [0, ${p.numSequences})`);
  const W = p.seqLen - 2;
  out[o] = clsId;
  out.set(p.stream.subarray(k * W, (k + 1) * W), o + 1);
  out[o + p.seqLen - 1] = sepId;
}

/** Word ids of sequence `k` into `out` ([T], offset `o`) from the marks; [CLS] and [SEP] start words of their own. */
export function writeWordIds(p: PackedCorpus, k: number, out: Int32Array, o: number): void {
  if (p.cont === undefined) throw new Error('packing: no continuation marks (whole-word masking needs them)');
  const W = p.seqLen - 2;
  const cont = new Uint8Array(p.seqLen);
  cont.set(p.cont.subarray(k * W, (k + 1) * W), 1);
  cont[1] = 0; // a window cut inside a word starts a (partial) word of its own
  wordIdsFromMarks(cont, out, o, p.seqLen);
}
