// inferenceMode's activation pool (src/tensor/scratch.ts): results equal noGrad's bit for bit,
// a second call reuses the first call's dead buffers instead of allocating, what the result
// reaches stays valid across later calls, encoder layers release their intermediates to the next
// layer, a leaked tensor is caught by ADAPTEXT_SCRATCH_CHECK, a throwing call pools nothing, a
// result that carries a graph keeps every buffer, and an async callback is refused.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AdapterModel } from '../../src/models/index.js';
import { Rng, Tensor, gelu, inferenceMode, linear, noGrad, scratchPoolBytes, scratchStep } from '../../src/tensor/index.js';
import { withScratch } from '../../src/tensor/index.js';
import { randTensor } from './helpers.js';

const [B, T] = [4, 16];

function tinyModel(): AdapterModel {
  const m = new AdapterModel(
    { model_type: 'bert', vocab_size: 50, hidden_size: 64, num_hidden_layers: 3, num_attention_heads: 2, intermediate_size: 128, max_position_embeddings: 32, type_vocab_size: 2, pad_token_id: 0 },
    { seed: 7 },
  );
  m.addHead('cls', { type: 'sequence_classification', numLabels: 3, style: 'bert' });
  m.eval();
  return m;
}

const input = {
  inputIds: Int32Array.from({ length: B * T }, (_, i) => 1 + ((i * 13) % 49)),
  shape: [B, T] as [number, number],
  attentionMask: new Float32Array(B * T).map((_, i) => (i % T < T - (i % 3) ? 1 : 0)),
};

test('inferenceMode: the forward equals noGrad bit for bit, on the first call and on a call that reuses pooled buffers', () => {
  const m = tinyModel();
  const ref = noGrad(() => m.forward(input, { heads: ['cls'] }));
  for (let call = 0; call < 3; call++) {
    const out = inferenceMode(() => m.forward(input, { heads: ['cls'] }));
    assert.deepEqual(out.heads['cls']!.logits.data, ref.heads['cls']!.logits.data, `call ${call}`);
    assert.deepEqual(out.lastHiddenState.data, ref.lastHiddenState.data, `call ${call}`);
  }
});

test('inferenceMode: a second identical call takes every big buffer from the pool (the pool does not grow), and what the result reaches stays valid', () => {
  const m = tinyModel();
  const first = inferenceMode(() => m.forward(input, { heads: ['cls'] }));
  const kept = Float32Array.from(first.lastHiddenState.data);
  inferenceMode(() => m.forward(input, { heads: ['cls'] }));
  const pooled = scratchPoolBytes();
  assert.ok(pooled > 0, 'dead activations went back to the pool');
  for (let i = 0; i < 3; i++) inferenceMode(() => m.forward(input, { heads: ['cls'] }));
  assert.equal(scratchPoolBytes(), pooled, 'steady state: each call returns what it took');
  // first.lastHiddenState was reachable from the first call's result: never handed out again
  assert.deepEqual(first.lastHiddenState.data, kept);
});

test('scratchStep: inside a scope a step returns its dead intermediates at once (the next step reuses them); outside one it is a plain call', () => {
  const r = new Rng(3);
  const x = randTensor(r, [B * T, 64], { requiresGrad: false });
  const w = randTensor(r, [64, 64], { requiresGrad: false });
  const before = scratchPoolBytes();
  assert.equal(scratchStep(() => gelu(linear(x, w))).size, B * T * 64);
  assert.equal(scratchPoolBytes(), before, 'no scope open: nothing pooled');
  const linearBuffers: ArrayBufferLike[] = [];
  const last = inferenceMode(() => {
    let h = x;
    for (let i = 0; i < 3; i++) {
      const input = h;
      h = scratchStep(() => {
        const lin = linear(input, w);
        linearBuffers.push(lin.data.buffer);
        return gelu(lin);
      });
    }
    return h;
  });
  // the pool is last-in first-out per length: step 1's linear output is step 0's, released at its end
  assert.equal(linearBuffers[1], linearBuffers[0]);
  assert.equal(linearBuffers[2], linearBuffers[0]);
  assert.deepEqual(last.data, noGrad(() => gelu(linear(gelu(linear(gelu(linear(x, w)), w)), w))).data);
});

test('ADAPTEXT_SCRATCH_CHECK=1: a tensor kept past its scope without being returned reads NaN, not another call’s numbers', () => {
  const r = new Rng(4);
  const x = randTensor(r, [B * T, 64], { requiresGrad: false });
  const w = randTensor(r, [64, 64], { requiresGrad: false });
  const prev = process.env['ADAPTEXT_SCRATCH_CHECK'];
  process.env['ADAPTEXT_SCRATCH_CHECK'] = '1';
  try {
    let leaked: Tensor | null = null;
    const y = inferenceMode(() => {
      leaked = linear(x, w);
      return { y: gelu(leaked) };
    }).y;
    assert.ok(Number.isNaN(leaked!.data[0]), 'the leaked intermediate was released and poisoned');
    assert.ok(Number.isFinite(y.data[0]!), 'the returned tensor is intact');
  } finally {
    if (prev === undefined) delete process.env['ADAPTEXT_SCRATCH_CHECK'];
    else process.env['ADAPTEXT_SCRATCH_CHECK'] = prev;
  }
});

test('withScratch: a throwing call pools nothing and closes its scope; nested scopes hand what they return to the enclosing one', () => {
  const r = new Rng(5);
  const x = randTensor(r, [B * T, 64], { requiresGrad: false });
  const w = randTensor(r, [64, 64], { requiresGrad: false });
  const before = scratchPoolBytes();
  assert.throws(
    () =>
      withScratch(() => {
        noGrad(() => linear(x, w));
        throw new Error('boom');
      }),
    /boom/,
  );
  // it took a buffer (from the pool, or new) and released none
  const afterThrow = scratchPoolBytes();
  assert.ok(afterThrow <= before);
  // scope closed: an op outside any scope neither takes from nor adds to the pool
  noGrad(() => linear(x, w));
  assert.equal(scratchPoolBytes(), afterThrow);
  let innerBuffer: ArrayBufferLike | null = null;
  const out = inferenceMode(() => {
    const inner = withScratch(() => linear(x, w)); // returned by the inner scope: now the outer one's
    innerBuffer = inner.data.buffer;
    // had the inner scope released it, this same-length output would have taken its buffer
    const z = gelu(inner);
    assert.notEqual(z.data.buffer, innerBuffer);
    return { z };
  });
  // the outer scope released the inner result (it did not return it): the next call of that length gets it
  const next = inferenceMode(() => linear(x, w));
  assert.equal(next.data.buffer, innerBuffer);
  assert.ok(Number.isFinite(out.z.data[0]!));
});

/**
 * Gradients of `m`'s trainable parameters after one backward pass, unscoped and then in three
 * scoped steps (fresh, then reused buffers): every scoped step must equal the unscoped one.
 */
function assertScopedGradsEqual(m: AdapterModel): void {
  const labels = { cls: Int32Array.from([0, 1, 2, 1]) };
  const grads = (): Float32Array[] => {
    m.zeroGrad();
    m.forward(input, { heads: ['cls'], labels }).loss!.backward();
    return m
      .parameters()
      .filter((p) => p.requiresGrad)
      .map((p) => Float32Array.from(p.grad!));
  };
  const ref = grads();
  for (let step = 0; step < 3; step++) {
    let got: Float32Array[] = [];
    withScratch(() => {
      got = grads();
    });
    got.forEach((g, i) => assert.deepEqual(g, ref[i], `step ${step}, parameter ${i}`));
  }
}

test('withScratch around a training step (as the loop runs every step): gradients equal an unscoped step’s, on fresh and on reused buffers; scratchStep keeps every intermediate while the graph is recorded', () => {
  assertScopedGradsEqual(tinyModel());
  assert.ok(scratchPoolBytes() > 0);
});

test('scratchStep under a training step: frozen lower layers (no graph through them) hand their intermediates back per layer, trainable layers keep theirs — gradients equal an unscoped step’s', () => {
  const m = tinyModel();
  m.addAdapter('a', { base: 'seq_bn', reduction_factor: 4, leave_out: [0, 1] }, { setActive: true });
  m.trainOnly({ adapters: ['a'], heads: ['cls'] });
  assertScopedGradsEqual(m);
});

test('withScratch: a result that carries a graph releases nothing (backward after the scope gives an unscoped step’s gradients, also under ADAPTEXT_SCRATCH_CHECK)', () => {
  const m = tinyModel();
  const labels = { cls: Int32Array.from([0, 1, 2, 1]) };
  const grads = (): Float32Array[] =>
    m
      .parameters()
      .filter((p) => p.requiresGrad)
      .map((p) => Float32Array.from(p.grad!));
  m.zeroGrad();
  m.forward(input, { heads: ['cls'], labels }).loss!.backward();
  const ref = grads();
  const saved = process.env['ADAPTEXT_SCRATCH_CHECK'];
  process.env['ADAPTEXT_SCRATCH_CHECK'] = '1';
  try {
    for (let step = 0; step < 2; step++) {
      m.zeroGrad();
      const before = scratchPoolBytes();
      const loss = withScratch(() => m.forward(input, { heads: ['cls'], labels }).loss!);
      assert.ok(scratchPoolBytes() <= before, 'the scope pooled buffers its returned graph still needs');
      // a same-length call now would have reused (and poisoned) what backward reads
      inferenceMode(() => m.forward(input, { heads: ['cls'] }));
      loss.backward();
      grads().forEach((g, i) => assert.deepEqual(g, ref[i], `step ${step}, parameter ${i}`));
    }
  } finally {
    if (saved === undefined) delete process.env['ADAPTEXT_SCRATCH_CHECK'];
    else process.env['ADAPTEXT_SCRATCH_CHECK'] = saved;
  }
});

test('withScratch: an async callback is refused with a one-line error, and pools nothing', async () => {
  const r = new Rng(6);
  const x = randTensor(r, [B * T, 64], { requiresGrad: false });
  const w = randTensor(r, [64, 64], { requiresGrad: false });
  const before = scratchPoolBytes();
  let pending: Promise<unknown> | null = null;
  assert.throws(
    () =>
      withScratch(() => {
        noGrad(() => linear(x, w));
        pending = Promise.resolve(1);
        return pending;
      }),
    /withScratch: the callback returned a Promise/,
  );
  assert.ok(scratchPoolBytes() <= before);
  await pending;
});

test('withScratch in train mode (dropout on), with two backward passes per scope and gradients accumulated across three scoped steps: equal to the same steps unscoped', () => {
  const labels = { cls: Int32Array.from([0, 1, 2, 1]) };
  // same seed: the same dropout masks in both runs
  const run = (scoped: boolean): Float32Array[] => {
    const m = tinyModel();
    m.train();
    m.zeroGrad();
    for (let step = 0; step < 3; step++) {
      const passes = (): void => {
        m.forward(input, { heads: ['cls'], labels }).loss!.backward();
        m.forward(input, { heads: ['cls'], labels }).loss!.backward();
      };
      if (scoped) withScratch(passes);
      else passes();
    }
    return m
      .parameters()
      .filter((p) => p.requiresGrad)
      .map((p) => Float32Array.from(p.grad!));
  };
  const ref = run(false);
  const got = run(true);
  assert.ok(ref.some((g) => g.some((x) => x !== 0)));
  got.forEach((g, i) => assert.deepEqual(g, ref[i], `parameter ${i}`));
});

test('the pool drops a length that 8 outermost scopes in a row did not ask for (a server with many padded lengths keeps only recent ones), and keeps one they keep asking for', () => {
  const r = new Rng(8);
  const w = randTensor(r, [64, 64], { requiresGrad: false });
  const call = (rows: number) => inferenceMode(() => gelu(linear(randTensor(r, [rows, 64], { requiresGrad: false }), w)).data[0]);
  const L = 1000 * 64;
  call(1000);
  assert.ok(scratchPoolBytes(L) > 0);
  for (let k = 0; k < 7; k++) call(1001 + k);
  assert.ok(scratchPoolBytes(L) > 0, 'seven scopes without it: still pooled');
  call(1008);
  assert.equal(scratchPoolBytes(L), 0, 'eight scopes without it: dropped');
  for (let k = 0; k < 20; k++) {
    call(1000);
    call(2000 + k); // a new length every time
  }
  assert.ok(scratchPoolBytes(L) > 0, 'asked for every other scope: kept');
  assert.equal(scratchPoolBytes(2000 * 64), 0, 'a length last asked for 20 scopes ago is gone');
  assert.ok(scratchPoolBytes(2019 * 64) > 0);
});
