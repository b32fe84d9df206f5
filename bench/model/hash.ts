// The counter-based hash both sides of bench:model draw their synthetic batches from
// (torch_peer.py hash32 reproduces it bit for bit), so adaptext and PyTorch see the same ids.
import { fmix32 } from '../../src/engine/seeds.js';

/** murmur3 fmix32 of seed + (i+1)*golden ratio. */
export function hash32(seed: number, i: number): number {
  return fmix32((seed + Math.imul(i + 1, 0x9e3779b9)) >>> 0);
}
