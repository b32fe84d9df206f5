// src/nn: module tree names, state dict load errors, train/eval propagation, layers vs references.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng, Tensor } from '../../src/tensor/index.js';
import { Dropout, Embedding, LayerNorm, Linear, Module, ModuleDict, ModuleList, Parameter, initBertWeights } from '../../src/nn/index.js';

class Block extends Module {
  readonly dense = this.registerModule('dense', new Linear(3, 2));
  readonly LayerNorm = this.registerModule('LayerNorm', new LayerNorm(2));
  readonly drop = this.registerModule('dropout', new Dropout(0.5, new Rng(1)));
}
class Net extends Module {
  readonly emb = this.registerModule('embeddings', new Embedding(5, 3, 0));
  readonly layer = this.registerModule('layer', new ModuleList([new Block(), new Block()]));
  readonly extra = this.registerModule('extra', new ModuleDict<Linear>());
}

test('names come from the module tree (HF dotted keys), tied parameters listed once', () => {
  const net = new Net();
  net.extra.set('tied', new Linear(3, 2));
  const names = net.namedParameters('bert').map(([k]) => k);
  assert.deepEqual(names, [
    'bert.embeddings.weight',
    'bert.layer.0.dense.weight',
    'bert.layer.0.dense.bias',
    'bert.layer.0.LayerNorm.weight',
    'bert.layer.0.LayerNorm.bias',
    'bert.layer.1.dense.weight',
    'bert.layer.1.dense.bias',
    'bert.layer.1.LayerNorm.weight',
    'bert.layer.1.LayerNorm.bias',
    'bert.extra.tied.weight',
    'bert.extra.tied.bias',
  ]);
  net.extra.delete('tied');
  net.extra.set('same', net.layer.at(0).dense);
  assert.equal(net.parameters().length, 9, 'a module reachable twice contributes its parameters once');
  net.assignParameterNames('m');
  assert.equal(net.layer.at(1).LayerNorm.weight.name, 'm.layer.1.LayerNorm.weight');
});

test('train()/eval() propagate to every module, including ones added later', () => {
  const net = new Net().eval();
  assert.ok(net.namedModules().every(([, m]) => !m.training));
  net.extra.set('late', new Linear(1, 1));
  assert.equal(net.extra.get('late')!.training, false);
  net.train();
  assert.ok(net.namedModules().every(([, m]) => m.training));
});

test('loadStateDict copies by name and reports missing/unexpected/mis-shaped in one error', () => {
  const a = new Net();
  initBertWeights(a, 0.02, new Rng(3));
  const b = new Net();
  b.loadStateDict(a.stateDict());
  assert.deepEqual(b.layer.at(1).dense.weight.data, a.layer.at(1).dense.weight.data);
  assert.equal(a.emb.weight.data.subarray(0, 3).every((v) => v === 0), true, 'padding row zero after init');
  const sd = new Map<string, { shape: readonly number[]; data: Float32Array }>(a.stateDict());
  sd.delete('layer.0.dense.bias');
  sd.set('layer.1.dense.weight', { shape: [3, 2], data: new Float32Array(6) });
  sd.set('bogus', { shape: [1], data: new Float32Array(1) });
  assert.throws(
    () => b.loadStateDict(sd, { source: 'x.safetensors' }),
    /^Error: loadStateDict \(x\.safetensors\): mis-shaped: layer\.1\.dense\.weight \(expected \[2, 3\], found \[3, 2\]\); missing: layer\.0\.dense\.bias \[2\]; unexpected: bogus \[1\]$/,
  );
  sd.set('layer.1.dense.weight', { shape: [2, 3], data: new Float32Array(6) });
  const r = b.loadStateDict(sd, { strict: false });
  assert.deepEqual(r, { missing: ['layer.0.dense.bias'], unexpected: ['bogus'] });
});

test('Linear is x W^T + b with PyTorch layout; Dropout honours training; Parameter freezing drops grads', () => {
  const lin = new Linear(2, 3);
  lin.weight.data.set([1, 2, 3, 4, 5, 6]); // [out=3, in=2]
  lin.bias!.data.set([0.5, 0, -1]);
  const y = lin.forward(Tensor.from([1, -1, 2, 0], [2, 2]));
  assert.deepEqual([...y.data], [-0.5, -1, -2, 2.5, 6, 9]);
  const d = new Dropout(0.5, new Rng(7));
  const x = Tensor.full([1000], 1);
  assert.equal(d.eval().forward(x), x);
  const t = d.train().forward(x);
  const kept = t.data.filter((v) => v !== 0);
  assert.ok(kept.length > 400 && kept.length < 600 && kept.every((v) => v === 2));
  const p = new Parameter(new Float32Array(2), [2]);
  p.gradBuffer()[0] = 1;
  p.setTrainable(false);
  assert.equal(p.grad, null);
  assert.equal(p.requiresGrad, false);
  assert.throws(() => new Dropout(1, new Rng(1)), /p must be in \[0, 1\)/);
});
