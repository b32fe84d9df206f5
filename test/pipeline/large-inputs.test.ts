// Realistic sizes must not crash (issue 13 item 2): `push(...big)` / `Math.max(...big)` pass every
// element as a call argument and overflow the stack from ~125k elements. Generated inputs of 300k
// lines / rows / log records (not committed) go through the data loader, the stratified split and
// the report's charts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateConfig } from '../../src/train/config.js';
import { loadDomain } from '../../src/train/data.js';
import { splitDataset } from '../../src/data/splits.js';
import { lineChart, maxOf, minOf, scatterPlot } from '../../src/eval/report/charts.js';
import { fixtureConfig, tmp } from './helpers.js';

const N = 300_000;

describe('300k-element inputs', () => {
  it('an unlabelled file of 300k lines loads', () => {
    const dir = tmp();
    const file = join(dir, 'big.unlabelled.jsonl');
    writeFileSync(file, Array.from({ length: N }, (_, i) => JSON.stringify({ text: `review number ${i} was fine` })).join('\n') + '\n');
    const raw = fixtureConfig('m', join(dir, 'out'));
    const cfg = validateConfig({ ...raw, target: { ...(raw['target'] as object), unlabelled: file } }, 'c', '/');
    assert.equal(loadDomain(cfg, 'target').unlabelled.length, N);
  });

  it('a stratified split with 150k rows per label', () => {
    const items = Array.from({ length: N }, (_, i) => i % 2);
    const s = splitDataset(items, { seed: 1, sizes: { validation: 1000, test: 1000 }, labelOf: (x) => x });
    assert.equal(s.train.length + s.validation.length + s.test.length, N);
    assert.equal(s.test.filter((x) => x === 1).length, 500);
  });

  it('charts of 300k logged steps', () => {
    const pts: Array<[number, number]> = Array.from({ length: N }, (_, i) => [i + 1, 1 / (1 + i / 1000)]);
    assert.match(lineChart({ series: [{ name: 'loss', color: '#000', points: pts, smooth: true }], xLabel: 'step', yLabel: 'loss', ariaLabel: 'x' }), /<svg/);
    assert.match(scatterPlot({ points: pts.map(([x, y]) => ({ x, y, color: '#000', shape: 0 })), xLabel: 'x', yLabel: 'y', ariaLabel: 'x' }), /<svg/);
    assert.equal(minOf(pts.map((p) => p[1])), 1 / (1 + (N - 1) / 1000));
    assert.equal(maxOf(pts.map((p) => p[0])), N);
    assert.ok(Number.isNaN(minOf([])) && Number.isNaN(maxOf([])));
  });
});
