// Open-addressing hash table from an n-gram of ids to a dense slot number (0, 1, 2, …). The ids
// are word ids (word analyzer) or code points (character analyzers).
// Why not Map<string, …>: building a string per bigram and hashing it dominated TF-IDF fitting
// (≈ 0.6 M bigram strings per 2,000 reviews); here a unigram is the key (u, −1, −1), a bigram
// (u, v, −1) and a trigram (u, v, w), plain int32 triples, so no string is created per occurrence
// (character 1–3-grams make trigrams as common as bigrams). Longer n-grams (n ≥ 4, rarely used)
// go through a Map keyed by their joined ids. Real ids are >= 0; −1 fills the unused key parts;
// callers may look up −2 for an unknown id, which matches nothing.
// Shapes: capacity C (power of two), keys A[C], B[C], W[C], slot[C] (−1 = empty).

export class NgramTable {
  private a: Int32Array;
  private b: Int32Array;
  private c: Int32Array;
  private slot: Int32Array;
  private mask: number;
  private readonly long = new Map<string, number>();
  /** Number of distinct n-grams stored; slots are 0 … size−1 in insertion order. */
  size = 0;

  constructor(initialCapacity = 1 << 16) {
    let c = 1;
    while (c < initialCapacity) c <<= 1;
    this.a = new Int32Array(c);
    this.b = new Int32Array(c);
    this.c = new Int32Array(c);
    this.slot = new Int32Array(c).fill(-1);
    this.mask = c - 1;
  }

  private static hash(u: number, v: number, w: number): number {
    let h = Math.imul(u ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(v + 0x7f4a7c15, 0xc2b2ae35);
    h = Math.imul(h ^ (h >>> 16), 0x27d4eb2f) ^ Math.imul(w + 0x165667b1, 0x9e3779b1);
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d);
    return (h ^ (h >>> 12)) >>> 0;
  }

  /** Slot of the n-gram ids[start .. start+n), or −1 if absent (insert = false). */
  get(ids: ArrayLike<number>, start: number, n: number, insert: boolean): number {
    if (n > 3) {
      let key = String(ids[start]!);
      for (let k = 1; k < n; k++) key += ',' + ids[start + k]!;
      const s = this.long.get(key);
      if (s !== undefined || !insert) return s ?? -1;
      this.long.set(key, this.size);
      return this.size++;
    }
    const u = ids[start]!;
    const v = n >= 2 ? ids[start + 1]! : -1;
    const w = n === 3 ? ids[start + 2]! : -1;
    let i = NgramTable.hash(u, v, w) & this.mask;
    for (;;) {
      const s = this.slot[i]!;
      if (s === -1) break;
      if (this.a[i] === u && this.b[i] === v && this.c[i] === w) return s;
      i = (i + 1) & this.mask;
    }
    if (!insert) return -1;
    this.a[i] = u;
    this.b[i] = v;
    this.c[i] = w;
    const s = this.size++;
    this.slot[i] = s;
    if (2 * this.size > this.mask) this.grow(); // moves entries: i is stale after this
    return s;
  }

  private grow(): void {
    const { a, b, c: w, slot } = this;
    const cap = 2 * a.length;
    this.a = new Int32Array(cap);
    this.b = new Int32Array(cap);
    this.c = new Int32Array(cap);
    this.slot = new Int32Array(cap).fill(-1);
    this.mask = cap - 1;
    for (let j = 0; j < a.length; j++) {
      if (slot[j] === -1) continue;
      let i = NgramTable.hash(a[j]!, b[j]!, w[j]!) & this.mask;
      while (this.slot[i] !== -1) i = (i + 1) & this.mask;
      this.a[i] = a[j]!;
      this.b[i] = b[j]!;
      this.c[i] = w[j]!;
      this.slot[i] = slot[j]!;
    }
  }
}
