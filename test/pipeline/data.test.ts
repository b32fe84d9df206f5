// The pipeline's data rules: seeded stratified splits, few-shot drawn from train only, skip-and-count
// on request, unlabelled fallback, CSV with configurable fields.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateConfig } from '../../src/train/config.js';
import { loadDomain } from '../../src/train/data.js';
import { FIXTURES, fixtureConfig, tmp } from './helpers.js';

const ids = (xs: { id: string | null }[]) => xs.map((x) => x.id);

describe('pipeline data', () => {
  it('splits by seed, stratified; the few-shot set comes from train only', () => {
    const cfg = validateConfig(fixtureConfig('m', 'o'), 'c', '/');
    const t = loadDomain(cfg, 'target');
    assert.deepEqual([t.train.length, t.validation.length, t.test.length, t.fewShot.length], [60, 20, 40, 32]);
    const label = (xs: typeof t.test) => xs.filter((x) => x.kind === 'text' && x.label === 1).length;
    assert.equal(label(t.test), 20, 'test keeps the 50/50 label balance');
    assert.equal(label(t.fewShot), 16);
    const train = new Set(ids(t.train));
    assert.ok(ids(t.fewShot).every((i) => train.has(i)));
    assert.ok(!ids(t.test).some((i) => train.has(i)) && !ids(t.validation).some((i) => train.has(i)));
    assert.deepEqual(ids(loadDomain(cfg, 'target').test), ids(t.test), 'same seed, same split');
    const other = loadDomain(validateConfig(fixtureConfig('m', 'o', { seed: 8 }), 'c', '/'), 'target');
    assert.notDeepEqual(ids(other.test), ids(t.test));
    assert.equal(t.unlabelled.length, 200);
  });

  it('skips and counts malformed and empty lines when asked, and says so', () => {
    const dir = tmp();
    const lines = readFileSync(join(FIXTURES, 'books.jsonl'), 'utf8').trim().split('\n');
    lines[4] = '{broken';
    lines[5] = JSON.stringify({ id: 'e', text: '   ', label: 'positive' });
    const f = join(dir, 'books.jsonl');
    writeFileSync(f, lines.join('\n') + '\n');
    const cfg = validateConfig(fixtureConfig('m', 'o', { source: { name: 'books', task: 'sentiment', labelled: f, split: { validation: 20, test: 20 }, reader: { on_malformed: 'skip' } } }), 'c', '/');
    const s = loadDomain(cfg, 'source');
    assert.equal(s.train.length + s.validation.length + s.test.length, 118);
    assert.match(s.notes.join('\n'), new RegExp(`${f}: skipped 1 empty and 1 malformed record\\(s\\) \\(first: ${f}:5: invalid JSON`));
  });

  it('reads CSV with configured fields; uses target train text when no unlabelled file is given', () => {
    const dir = tmp();
    const rows = readFileSync(join(FIXTURES, 'kitchen.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { text: string; label: string });
    const q = (s: string) => `"${s.replace(/"/g, '""')}"`;
    const csv = join(dir, 'kitchen.csv');
    writeFileSync(csv, 'review,stars\n' + rows.map((r) => `${q(r.text)},${r.label}`).join('\n') + '\n');
    const cfg = validateConfig(
      fixtureConfig('m', 'o', { target: { name: 'kitchen', task: 'sentiment', labelled: csv, split: { validation: 10, test: 10 }, reader: { text_field: 'review', label_field: 'stars' } } }),
      'c',
      '/',
    );
    const t = loadDomain(cfg, 'target');
    assert.equal(t.train.length, 100);
    assert.equal(t.unlabelled.length, 100);
    assert.ok(t.unlabelled.every((e) => e.kind === 'text' && e.label === null));
    assert.match(t.notes.join('\n'), /no unlabelled file; stage 2 uses the 100 target train texts without their labels/);
  });
});
