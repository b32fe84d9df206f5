// meanPool(x, mask): masked mean over the token dim (sentence embedding / DANN features).
//   out[b,:] = sum_t mask[b,t] * x[b,t,:] / sum_t mask[b,t]
// Shapes: x [B,T,H]; mask [B,T] (1 keep, 0 pad; other values act as weights) or null (plain
// mean over T); out [B,H]. A row whose mask sums to 0 gives zeros (not NaN) and no gradient.
import { Tensor, record, shapeStr } from '../tensor.js';
import { checkMask, checkTensor } from './check.js';

export function meanPool(x: Tensor, mask: Float32Array | null): Tensor {
  checkTensor('meanPool', 'x', x);
  if (x.ndim !== 3) throw new Error(`meanPool: x must be 3-D [B, T, H], got ${shapeStr(x.shape)}`);
  const [B, T, H] = x.shape as [number, number, number];
  if (mask !== null) checkMask('meanPool', 'mask', mask, [B, T]);
  const w = new Float32Array(B * T); // [B,T] weight of each token: mask / sum(mask)
  for (let b = 0; b < B; b++) {
    let s = 0;
    for (let t = 0; t < T; t++) s += mask === null ? 1 : mask[b * T + t]!;
    const inv = s !== 0 ? 1 / s : 0;
    for (let t = 0; t < T; t++) w[b * T + t] = (mask === null ? 1 : mask[b * T + t]!) * inv;
  }
  const od = new Float32Array(B * H); // [B,H]
  const xd = x.data;
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const wt = w[b * T + t]!;
      if (wt === 0) continue; // padded tokens contribute nothing, even if they hold NaN
      const x0 = (b * T + t) * H;
      for (let h = 0; h < H; h++) od[b * H + h]! += wt * xd[x0 + h]!;
    }
  }
  const out = new Tensor(od, [B, H]);
  return record(out, [x], 'meanPool', () => {
    const g = out.grad!;
    const gx = x.gradBuffer();
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) {
        const wt = w[b * T + t]!;
        if (wt === 0) continue;
        const x0 = (b * T + t) * H;
        for (let h = 0; h < H; h++) gx[x0 + h]! += wt * g[b * H + h]!;
      }
    }
  });
}
