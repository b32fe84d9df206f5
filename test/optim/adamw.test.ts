import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Tensor } from '../../src/tensor/tensor.js';
import { setBackend } from '../../src/tensor/kernels/index.js';
import { arrayDiff } from '../support/close.js';
import { forEachBackend } from '../support/native.js';
import { AdamW, isNoDecayParam, type AdamWStateDict } from '../../src/optim/adamw.js';
import { clipGradNorm } from '../../src/optim/clip.js';
import { linearWarmupDecaySchedule } from '../../src/optim/schedule.js';

interface Golden {
  torch_version: string;
  warmup: number;
  total: number;
  max_norm: number;
  no_bias_grad_step: number;
  weight0: number[];
  bias0: number[];
  grads_weight: number[][];
  grads_bias: number[][];
  steps: Array<{ lrs: number[]; norm_before_clip: number; weight: number[]; bias: number[] }>;
  final_state: Record<string, number[] | number>;
}

const golden = JSON.parse(readFileSync(new URL('./fixtures/adamw_golden.json', import.meta.url), 'utf8')) as Golden;

/** Largest |a - b| (Infinity on a NaN/Inf mismatch: test/support/close.ts). */
function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return arrayDiff(a, b).maxAbs;
}

forEachBackend(
  (backend) => `AdamW + clipGradNorm + linear warm-up match torch.optim.AdamW step by step (${backend})`,
  (backend) => {
    setBackend(backend);
    const w = new Tensor(Float32Array.from(golden.weight0), [3, 4], true, 'dense.weight');
    const b = new Tensor(Float32Array.from(golden.bias0), [4], true, 'dense.bias');
    const opt = new AdamW(
      [
        { name: 'weights', params: [w], lr: 1e-3, weightDecay: 0.01 },
        { name: 'biases', params: [b], lr: 5e-4, weightDecay: 0 },
      ],
      { schedule: linearWarmupDecaySchedule(golden.warmup, golden.total) },
    );
    let worst = 0;
    golden.steps.forEach((ref, s) => {
      opt.zeroGrad();
      w.grad = Float32Array.from(golden.grads_weight[s]!);
      if (s !== golden.no_bias_grad_step) b.grad = Float32Array.from(golden.grads_bias[s]!);
      assert.ok(Math.abs(opt.currentLr('weights') - ref.lrs[0]!) < 1e-12, `step ${s} lr weights`);
      assert.ok(Math.abs(opt.currentLr('biases') - ref.lrs[1]!) < 1e-12, `step ${s} lr biases`);
      const norm = clipGradNorm(opt.params(), golden.max_norm);
      assert.ok(Math.abs(norm - ref.norm_before_clip) < 1e-5 * ref.norm_before_clip, `step ${s} norm ${norm} vs ${ref.norm_before_clip}`);
      opt.step();
      const d = Math.max(maxAbsDiff(w.data, ref.weight), maxAbsDiff(b.data, ref.bias));
      worst = Math.max(worst, d);
      assert.ok(d < 1e-6, `step ${s}: params differ from torch by ${d}`);
    });
    const sd = opt.stateDict();
    const dm = maxAbsDiff(sd.tensors['dense.weight.exp_avg']!, golden.final_state['weight.exp_avg'] as number[]);
    const dv = maxAbsDiff(sd.tensors['dense.weight.exp_avg_sq']!, golden.final_state['weight.exp_avg_sq'] as number[]);
    assert.ok(dm < 1e-6 && dv < 1e-6, `moments differ: exp_avg ${dm}, exp_avg_sq ${dv}`);
    assert.equal(sd.meta.paramSteps['dense.weight'], golden.final_state['weight.step']);
    assert.equal(sd.meta.paramSteps['dense.bias'], golden.final_state['bias.step']); // skipped once
    console.log(`# AdamW vs torch ${golden.torch_version} (${backend}): largest param difference ${worst.toExponential(2)} over ${golden.steps.length} steps`);
  },
);

test('parameter groups get their own lr: adapters 5e-4 and heads 2e-5 move by exactly that per step', () => {
  // With a constant gradient, Adam's bias-corrected step is lr * g/(|g| + eps) ≈ lr * sign(g).
  const adapter = new Tensor(new Float32Array(6), [6], true, 'bert.encoder.layer.7.output.adapters.kitchen.adapter_down.0.weight');
  const head = new Tensor(new Float32Array(4), [4], true, 'heads.sentiment.classifier.weight');
  const opt = new AdamW([
    { name: 'adapters', params: [adapter], lr: 5e-4, weightDecay: 0 },
    { name: 'heads', params: [head], lr: 2e-5, weightDecay: 0 },
  ]);
  for (let s = 0; s < 3; s++) {
    adapter.grad = Float32Array.from([1, -2, 3, -4, 0.5, -0.5]);
    head.grad = Float32Array.from([0.1, -0.2, 7, -1]);
    opt.step();
  }
  // Relative 1e-5: float32 moments and eps=1e-8 perturb the ideal step only slightly, while
  // swapping the two lrs would be off by a factor of 25.
  for (let i = 0; i < 6; i++) {
    const want = -3 * 5e-4 * Math.sign(adapter.grad![i]!);
    assert.ok(Math.abs(adapter.data[i]! - want) < 1e-5 * Math.abs(want), `adapter[${i}] = ${adapter.data[i]}, want ${want}`);
  }
  for (let i = 0; i < 4; i++) {
    const want = -3 * 2e-5 * Math.sign(head.grad![i]!);
    assert.ok(Math.abs(head.data[i]! - want) < 1e-5 * Math.abs(want), `head[${i}] = ${head.data[i]}, want ${want}`);
  }
  assert.deepEqual(opt.currentLrs(), { adapters: 5e-4, heads: 2e-5 });
});

test('weight decay is decoupled and skipped on biases/LayerNorm only when the group asks', () => {
  const mk = (name: string) => new Tensor(Float32Array.from([1, -2]), [2], true, name);
  const wA = mk('a.dense.weight');
  const lnA = mk('a.LayerNorm.weight');
  const bA = mk('a.dense.bias');
  const wB = mk('b.dense.weight');
  const lnB = mk('b.LayerNorm.weight');
  const opt = new AdamW([
    { name: 'A', params: [wA, lnA, bA], lr: 0.1, weightDecay: 0.5, noDecayOnBiasAndNorm: true },
    { name: 'B', params: [wB, lnB], lr: 0.1, weightDecay: 0.5 },
  ]);
  for (const p of opt.params()) p.grad = new Float32Array(2); // zero gradient: only decay acts
  opt.step();
  const decayed = [Math.fround(1 * 0.95), Math.fround(-2 * 0.95)];
  assert.deepEqual([...wA.data], decayed);
  assert.deepEqual([...lnA.data], [1, -2]);
  assert.deepEqual([...bA.data], [1, -2]);
  assert.deepEqual([...wB.data], decayed);
  assert.deepEqual([...lnB.data], decayed);
});

test('isNoDecayParam follows HF names (bias, LayerNorm, legacy gamma/beta, adapter norms)', () => {
  for (const n of [
    'bert.encoder.layer.0.attention.output.dense.bias',
    'bert.encoder.layer.0.attention.output.LayerNorm.weight',
    'bert.embeddings.LayerNorm.gamma',
    'bert.embeddings.LayerNorm.beta',
    'bert.encoder.layer.9.output.adapters.x.adapter_norm_before.weight',
    'cls.predictions.bias',
  ])
    assert.equal(isNoDecayParam(n), true, n);
  for (const n of ['bert.encoder.layer.0.attention.self.query.weight', 'bert.embeddings.word_embeddings.weight', 'bert.encoder.layer.9.output.adapters.x.adapter_down.0.weight', 'classifier.weight'])
    assert.equal(isNoDecayParam(n), false, n);
});

test('frozen parameters (requiresGrad=false) and parameters without a gradient stay unchanged', () => {
  const trained = new Tensor(Float32Array.from([1, 2, 3]), [3], true, 'adapter.weight');
  const frozen = new Tensor(Float32Array.from([4, 5, 6]), [3], false, 'backbone.weight');
  const unused = new Tensor(Float32Array.from([7, 8, 9]), [3], true, 'other_domain_adapter.weight');
  const opt = new AdamW([{ name: 'all', params: [trained, frozen, unused], lr: 1e-2 }]);
  for (let s = 0; s < 5; s++) {
    trained.grad = Float32Array.from([1, 1, 1]);
    frozen.grad = Float32Array.from([1, 1, 1]); // a stray gradient must not move a frozen weight
    opt.step();
    opt.zeroGrad();
  }
  assert.deepEqual([...frozen.data], [4, 5, 6]);
  assert.deepEqual([...unused.data], [7, 8, 9]);
  assert.notDeepEqual([...trained.data], [1, 2, 3]);
  assert.deepEqual(Object.keys(opt.stateDict().meta.paramSteps), ['adapter.weight']);
  assert.equal(trained.grad, null);
});

function makeProblem(): { params: Tensor[]; grads: (step: number) => Float32Array[] } {
  const params = [new Tensor(Float32Array.from([0.5, -1.5, 2, 0.25]), [4], true, 'enc.weight'), new Tensor(Float32Array.from([0.1, 0.2]), [2], true, 'enc.bias')];
  // Deterministic, step-dependent gradients (no RNG needed).
  const grads = (s: number) => [Float32Array.from([Math.sin(s + 1), Math.cos(s * 2), -0.3 * s, 1 / (s + 1)]), Float32Array.from([s % 3 === 0 ? 2 : -1, 0.5 * Math.sin(s)])];
  return { params, grads };
}

function run(opt: AdamW, params: Tensor[], grads: (s: number) => Float32Array[], from: number, to: number): void {
  for (let s = from; s < to; s++) {
    const g = grads(s);
    params.forEach((p, i) => (p.grad = g[i]!));
    clipGradNorm(params, 1.0);
    opt.step();
    opt.zeroGrad();
  }
}

test('stateDict round trip: stop after 6 steps, reload, continue → identical to an uninterrupted run', () => {
  const mkOpt = (params: Tensor[]) =>
    new AdamW(
      [
        { name: 'w', params: [params[0]!], lr: 1e-2, weightDecay: 0.1 },
        { name: 'b', params: [params[1]!], lr: 3e-3, weightDecay: 0 },
      ],
      { schedule: linearWarmupDecaySchedule(3, 12) },
    );
  const a = makeProblem();
  const optA = mkOpt(a.params);
  run(optA, a.params, a.grads, 0, 12);

  const b = makeProblem();
  const optB = mkOpt(b.params);
  run(optB, b.params, b.grads, 0, 6);
  const sd = optB.stateDict();
  // What a checkpoint keeps: JSON metadata, raw tensor bytes, parameter values.
  const saved: AdamWStateDict = {
    meta: JSON.parse(JSON.stringify(sd.meta)),
    tensors: Object.fromEntries(Object.entries(sd.tensors).map(([k, v]) => [k, new Float32Array(v.buffer.slice(0))])),
  };
  const savedParams = b.params.map((p) => p.data.slice());

  const c = makeProblem();
  c.params.forEach((p, i) => p.data.set(savedParams[i]!));
  const optC = mkOpt(c.params);
  optC.loadStateDict(saved);
  assert.equal(optC.stepCount, 6);
  run(optC, c.params, c.grads, 6, 12);
  c.params.forEach((p, i) => assert.deepEqual([...p.data], [...a.params[i]!.data], `param ${p.name}`));
  assert.deepEqual(optC.stateDict().meta, optA.stateDict().meta);
  // And the round trip did something: a fresh optimizer without the state ends elsewhere.
  const d = makeProblem();
  d.params.forEach((p, i) => p.data.set(savedParams[i]!));
  const optD = mkOpt(d.params);
  run(optD, d.params, d.grads, 6, 12);
  assert.notDeepEqual([...d.params[0]!.data], [...a.params[0]!.data]);
});

test('bad configurations and states give one-line errors naming the problem', () => {
  const p = new Tensor(new Float32Array(3), [3], true, 'x.weight');
  assert.throws(
    () =>
      new AdamW([
        { name: 'a', params: [p], lr: 1e-3 },
        { name: 'b', params: [p], lr: 1e-3 },
      ]),
    /already in group 'a'/,
  );
  assert.throws(() => new AdamW([{ name: 'a', params: [p], lr: -1 }]), /group 'a': lr must be/);
  assert.throws(() => new AdamW([{ name: 'a', params: [p], lr: 1e-3 }], { betas: [0.9, 1] }), /betas\[1\]/);
  const twin = new Tensor(new Float32Array(3), [3], true, 'x.weight');
  assert.throws(() => new AdamW([{ name: 'a', params: [p, twin], lr: 1e-3 }]), /share the name 'x.weight'/);

  const opt = new AdamW([{ name: 'a', params: [p], lr: 1e-3 }]);
  p.grad = Float32Array.from([1, 2, 3]);
  opt.step();
  const sd = opt.stateDict();
  const q = new Tensor(new Float32Array(5), [5], true, 'x.weight');
  const other = new AdamW([{ name: 'a', params: [q], lr: 1e-3 }]);
  assert.throws(() => other.loadStateDict(sd), /x\.weight has 5 elements but its saved moments have 3\/3/);
  const renamed = new AdamW([{ name: 'z', params: [new Tensor(new Float32Array(3), [3], true, 'x.weight')], lr: 1e-3 }]);
  assert.throws(() => renamed.loadStateDict(sd), /parameter groups differ/);
  assert.throws(() => opt.loadStateDict({ meta: { format: 'x' }, tensors: {} } as unknown as AdamWStateDict), /not an adaptext AdamW state/);
  assert.throws(() => opt.group('nope'), /no parameter group 'nope' \(groups: a\)/);
});
