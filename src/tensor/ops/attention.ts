// attention(q, k, v, keyMask, numHeads, opts): multi-head scaled dot-product self-attention,
// the math of HF BertSelfAttention after the q/k/v linears:
//   probs = softmax(Q_h K_h^T / sqrt(d) + mask) → dropout(probs) → context_h = probs @ V_h,
//   heads concatenated back into [B,T,H] (HF's permute + view, done by column offsets here).
// Shapes: q, k, v [B,T,H] with H = nH*d (head h = columns h*d..(h+1)*d); keyMask [B,T] (1 keep,
// 0 pad) or null; probs [B,nH,T,T] (saved); dropMask [B,nH,T,T] multipliers 0 or 1/(1-p);
// out [B,T,H].
// Masked keys get probability exactly 0 (HF adds finfo(float32).min, whose exp underflows to 0).
import { Tensor, record, shapeStr, emptyF32 } from '../tensor.js';
import { kernels } from '../kernels/index.js';
import type { Rng } from '../rng.js';
import { checkMask, checkTensor, sameShape } from './check.js';

export interface AttentionOptions {
  /** Dropout probability on the attention probabilities (HF attention_probs_dropout_prob). */
  dropout?: number;
  /** Dropout is applied only when training is true. */
  training?: boolean;
  /** Source of the dropout mask; required when training with dropout > 0. */
  rng?: Rng;
}

export function attention(q: Tensor, k: Tensor, v: Tensor, keyMask: Float32Array | null, numHeads: number, opts: AttentionOptions = {}): Tensor {
  checkTensor('attention', 'q', q);
  checkTensor('attention', 'k', k);
  checkTensor('attention', 'v', v);
  if (q.ndim !== 3 || !sameShape(q.shape, k.shape) || !sameShape(q.shape, v.shape)) {
    throw new Error(`attention: q, k, v must all be [B, T, H], got q ${shapeStr(q.shape)}, k ${shapeStr(k.shape)}, v ${shapeStr(v.shape)}`);
  }
  const [B, T, H] = q.shape as [number, number, number];
  if (!Number.isInteger(numHeads) || numHeads < 1 || H % numHeads !== 0) {
    throw new Error(`attention: hidden size ${H} (q ${shapeStr(q.shape)}) is not divisible by numHeads ${numHeads}`);
  }
  if (keyMask !== null) checkMask('attention', 'keyMask', keyMask, [B, T]);
  const nH = numHeads;
  const d = H / nH;
  const scale = 1 / Math.sqrt(d);

  const p = opts.dropout ?? 0;
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new Error(`attention: dropout must be in [0, 1], got ${String(p)}`);
  let dropMask: Float32Array | null = null; // [B,nH,T,T]
  if (opts.training === true && p > 0) {
    const rng = opts.rng;
    if (rng === undefined) throw new Error('attention: training with dropout > 0 needs opts.rng (dropout is never silently disabled)');
    dropMask = emptyF32(B * nH * T * T);
    // One Rng draw seeds the whole mask (counter-based kernel, same bits on both backends).
    kernels().dropoutMask(dropMask, p, rng.nextU32());
  }

  const probs = emptyF32(B * nH * T * T); // [B,nH,T,T], written by the kernel
  const od = emptyF32(B * T * H); // [B,T,H], written by the kernel
  kernels().attentionForward(q.data, k.data, v.data, keyMask, B, T, nH, d, scale, dropMask, probs, od);
  const out = new Tensor(od, [B, T, H]);

  return record(out, [q, k, v], 'attention', () => {
    // The kernel writes all three; inputs that need no grad get a throwaway buffer.
    const dq = q.requiresGrad ? q.gradBuffer() : new Float32Array(q.size);
    const dk = k.requiresGrad ? k.gradBuffer() : new Float32Array(k.size);
    const dv = v.requiresGrad ? v.gradBuffer() : new Float32Array(v.size);
    kernels().attentionBackward(out.grad!, q.data, k.data, v.data, probs, dropMask, B, T, nH, d, scale, dq, dk, dv);
  });
}
