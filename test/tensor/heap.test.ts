// The heap stays flat while training: a tiny attention block (linear q/k/v → attention with a
// padding mask → residual → LayerNorm → GELU FFN → mean pool → classifier → cross-entropy) is
// trained for 400 SGD steps; after a forced GC, heapUsed + arrayBuffers (Float32Array storage is
// outside the JS heap) after the 400 steps must be within 1 MB of the value after 50 warm-up
// steps. Keeping just one [B,T,H] activation of each step alive grows it by ~3.5 MB (measured),
// so a leaked graph cannot hide under the bound. Also checks that an intermediate tensor of a step
// is collectable once backward() has run.
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Rng, Tensor, add, attention, crossEntropy, gelu, layerNorm, linear, meanPool, noGrad } from '../../src/tensor/index.js';
import { randTensor, testBothBackends } from './helpers.js';

// global.gc without requiring the runner to pass --expose-gc.
setFlagsFromString('--expose-gc');
const gc = (globalThis.gc ?? runInNewContext('gc')) as () => void;

const B = 4;
const T = 16;
const H = 32;
const C = 3;

function model(seed: number) {
  const r = new Rng(seed);
  const P = {
    wq: randTensor(r, [H, H], { scale: 0.2 }),
    wk: randTensor(r, [H, H], { scale: 0.2 }),
    wv: randTensor(r, [H, H], { scale: 0.2 }),
    g: Tensor.full([H], 1, true),
    b: Tensor.zeros([H], true),
    w1: randTensor(r, [2 * H, H], { scale: 0.2 }),
    b1: Tensor.zeros([2 * H], true),
    w2: randTensor(r, [C, 2 * H], { scale: 0.2 }),
    b2: Tensor.zeros([C], true),
  };
  const x = randTensor(r, [B, T, H], { requiresGrad: false });
  const mask = new Float32Array(B * T).map((_, i) => (i % T < T - ((i / T) | 0) ? 1 : 0));
  const targets = Int32Array.from([0, 2, 1, 0]);
  const params = Object.values(P);
  const step = (lr: number): { loss: number; probe: WeakRef<Tensor> } => {
    const ctx = attention(linear(x, P.wq), linear(x, P.wk), linear(x, P.wv), mask, 2, { dropout: 0.1, training: true, rng: r });
    const h = layerNorm(add(ctx, x), P.g, P.b, 1e-12);
    const logits = linear(meanPool(gelu(linear(h, P.w1, P.b1)), mask), P.w2, P.b2);
    const loss = crossEntropy(logits, targets);
    loss.backward();
    noGrad(() => {
      for (const p of params) {
        const g = p.grad!;
        for (let i = 0; i < p.size; i++) p.data[i]! -= lr * g[i]!;
        p.zeroGrad();
      }
    });
    return { loss: loss.item(), probe: new WeakRef(h) };
  };
  return step;
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
async function heapAfterGc(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    await tick(); // WeakRef targets stay alive until the current job ends
    gc();
  }
  // Float32Array storage lives outside the JS heap (arrayBuffers), so count both.
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

testBothBackends("heap stays flat over 400 training steps and each step's graph is freed", async () => {
  const step = model(7);
  let first = NaN;
  let last = NaN;
  for (let i = 0; i < 50; i++) {
    const { loss } = step(0.1);
    if (i === 0) first = loss;
  }
  const warm = await heapAfterGc();
  let probe: WeakRef<Tensor> | null = null;
  for (let i = 0; i < 400; i++) {
    const r = step(0.1);
    last = r.loss;
    probe = r.probe;
  }
  const after = await heapAfterGc();
  const growth = after - warm;
  console.log(
    `heap+arrayBuffers: after warm-up ${(warm / 1e6).toFixed(2)} MB, after 400 more steps ${(after / 1e6).toFixed(2)} MB (growth ${(growth / 1e3).toFixed(0)} kB); loss ${first.toFixed(3)} -> ${last.toFixed(3)}`,
  );
  assert.ok(growth < 1e6, `heap grew by ${(growth / 1e6).toFixed(2)} MB over 400 steps (bound 1 MB)`);
  assert.ok(last < first, `training should make progress (loss ${first} -> ${last})`);
  assert.equal(probe!.deref(), undefined, 'an intermediate tensor of the last step is still reachable after backward + GC');
});
