import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { splitDataset } from '../../src/data/splits.js';
import { readDataset } from '../../src/data/readers.js';
import type { TextExample } from '../../src/data/examples.js';

interface Item { id: number; label: number }
// 3 labels, unbalanced: 600 / 300 / 100.
const items: Item[] = Array.from({ length: 1000 }, (_, id) => ({ id, label: id % 10 < 6 ? 0 : id % 10 < 9 ? 1 : 2 }));
const labelOf = (x: Item) => x.label;
const countLabels = (xs: Item[]) => [0, 1, 2].map((l) => xs.filter((x) => x.label === l).length);

test('splits are disjoint, cover what was asked, and are stratified by label', () => {
  const s = splitDataset(items, { seed: 1, sizes: { validation: 100, test: 0.2, fewShot: 50 }, labelOf });
  assert.deepEqual([s.train.length, s.validation.length, s.test.length, s.fewShot.length], [700, 100, 200, 50]);
  const all = [...s.indices.train, ...s.indices.validation, ...s.indices.test];
  assert.equal(new Set(all).size, 1000);
  assert.deepEqual(countLabels(s.test), [120, 60, 20]);
  assert.deepEqual(countLabels(s.validation), [60, 30, 10]);
  assert.deepEqual(countLabels(s.train), [420, 210, 70]);
  assert.deepEqual(countLabels(s.fewShot), [30, 15, 5]);
  const train = new Set(s.indices.train);
  assert.ok(s.indices.fewShot.every((i) => train.has(i)), 'few-shot is drawn from train');
  assert.deepEqual(s.train.map((x) => x.id), s.indices.train);
});

test('same seed → same splits; another seed → different ones', () => {
  const sizes = { validation: 0.1, test: 0.1, fewShot: 20 };
  const a = splitDataset(items, { seed: 42, sizes, labelOf });
  const b = splitDataset(items, { seed: 42, sizes, labelOf });
  const c = splitDataset(items, { seed: 43, sizes, labelOf });
  assert.deepEqual(a.indices, b.indices);
  assert.notDeepEqual(a.indices.test, c.indices.test);
  assert.notDeepEqual(a.indices.fewShot, c.indices.fewShot);
});

test('rounding keeps label shares within one example; unlabelled items; plain random split', () => {
  const odd = items.slice(0, 997);
  const s = splitDataset(odd, { seed: 3, sizes: { validation: 33, test: 77 }, labelOf });
  const total = countLabels(odd);
  for (const [name, part] of [['test', s.test], ['validation', s.validation]] as const) {
    countLabels(part).forEach((c, l) => {
      const ideal = (part.length * total[l]!) / odd.length;
      assert.ok(Math.abs(c - ideal) < 1, `${name} label ${l}: ${c} vs ${ideal.toFixed(2)}`);
    });
  }
  const mixed = splitDataset([...items.slice(0, 10), ...items.slice(0, 10)], { seed: 1, sizes: { validation: 4, test: 4 }, labelOf: (x) => (x.id < 5 ? null : x.label) });
  assert.equal(mixed.train.length, 12);
  const plain = splitDataset(items, { seed: 1, sizes: { validation: 10, test: 10, train: 30 } });
  assert.deepEqual([plain.train.length, plain.validation.length, plain.test.length], [30, 10, 10]);
});

test('impossible sizes are refused with the numbers', () => {
  assert.throws(() => splitDataset(items, { seed: 1, sizes: { validation: 600, test: 500 } }), /asked for 600 validation \+ 500 test, but there are only 1000 items/);
  assert.throws(() => splitDataset(items, { seed: 1, sizes: { validation: 10, test: 10, train: 50, fewShot: 60 } }), /fewShot \(60\) is larger than train \(50\)/);
  assert.throws(() => splitDataset(items, { seed: 1, sizes: { validation: 2.5, test: 10 } }), /validation must be a count or a fraction/);
});

const kitchen = new URL('../../data/amazon/kitchen.labeled.jsonl.gz', import.meta.url);
test('the demo split of the bundled kitchen reviews: 1600 / 200 / rest, 500 few-shot, balanced', () => {
  assert.ok(existsSync(kitchen), `${kitchen.pathname} is tracked in git and must be present`);
  const d = readDataset(kitchen.pathname, { task: 'classification', labels: ['negative', 'positive'] });
  const ex = d.examples as TextExample[];
  const s = splitDataset(ex, { seed: 13, sizes: { train: 1600, validation: 200, test: ex.length - 1800, fewShot: 500 }, labelOf: (e) => e.label });
  assert.deepEqual([s.train.length, s.validation.length, s.test.length, s.fewShot.length], [1600, 200, 177, 500]);
  const pos = (xs: TextExample[]) => xs.filter((e) => e.label === 1).length / xs.length;
  for (const part of [s.train, s.validation, s.test, s.fewShot]) assert.ok(Math.abs(pos(part) - 996 / 1977) < 0.01);
});
