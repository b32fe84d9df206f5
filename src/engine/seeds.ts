// Every random stream of a run is derived from the run seed and a name, never drawn from a
// shared generator: the data order of epoch e of stage s is `new Rng(deriveSeed(seed, s, 'epoch', e))`,
// so a resumed run rebuilds the exact same plan from (seed, stage, epoch) alone, and adding a
// stage or an evaluation elsewhere never shifts another stream.

/** FNV-1a over the parts' text, finished with a murmur3 mix: a 32-bit seed per (seed, name...). */
export function deriveSeed(seed: number, ...parts: Array<string | number>): number {
  let h = 0x811c9dc5;
  const text = `${seed}\u0000${parts.join('\u0000')}`;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return fmix32(h);
}

/** murmur3's 32-bit finaliser: every input bit affects every output bit. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
