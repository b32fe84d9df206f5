// `adaptext demo` end to end, --quick-sized and smaller (TINY_SETS): the table prints with every
// ablation row and both baselines, numbers in [0, 1]; report.html and demo.json are written;
// the fixed splits are what data/amazon/README.md "Splits" says. The e2e runs on a tiny random
// backbone (always), and on the bundled backbone through the CLI default when its weights exist
// (otherwise the default must refuse with a message naming the folder).
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEMO_DOMAINS, bundledModelDir, fewShotSet, heldOutTarget, splitDomain, SPLIT_TRAIN, SPLIT_VALIDATION, type DemoDomain } from '../../src/demo/index.js';
import { TimingProgress } from '../../src/demo/timing.js';
import { silentProgress } from '../../src/engine/progress.js';
import { readDataset } from '../../src/data/index.js';
import { tfidfBaselines } from '../../src/baselines/index.js';
import { runCli, tinyBackbone, tmp, TINY_SETS } from './helpers.js';

const ROW_NAMES = [
  'source only (stage 1)',
  '+ alignment (stages 1+2)',
  '+ few-shot (stages 1+2+3)',
  'few-shot only (raw backbone)',
  'TF-IDF (word 1-2) + LR, source only',
  'TF-IDF (word 1-2) + LR, source + few-shot',
  'bag-of-words + DANN (no target labels)',
];

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Every row of the printed table: name → [accuracy, macro-F1] as fractions. */
function parseTable(stdout: string): Map<string, [number, number]> {
  const rows = new Map<string, [number, number]>();
  for (const name of ROW_NAMES) {
    const m = new RegExp(`^${escapeRe(name)}\\s+(\\d+\\.\\d)%\\s+(\\d+\\.\\d)%\\s+(\\S+)$`, 'm').exec(stdout);
    assert.ok(m, `table row '${name}' missing or malformed in:\n${stdout}`);
    rows.set(name, [Number(m[1]) / 100, Number(m[2]) / 100]);
  }
  return rows;
}

interface DemoJson {
  rows: Array<{ id: string; accuracy: number; macroF1: number; domainAccuracy: number | null }>;
  domainConfusion: { before: number; after: number };
  sizes: Record<string, number>;
}

function checkRun(out: string, stdout: string, source: DemoDomain = 'books', target: DemoDomain = 'kitchen'): DemoJson {
  const rows = parseTable(stdout);
  for (const [name, [acc, f1]] of rows) {
    assert.ok(acc >= 0 && acc <= 1 && f1 >= 0 && f1 <= 1, `${name}: ${acc} ${f1}`);
  }
  assert.match(stdout, /domain classifier accuracy .*: \d+\.\d% before alignment \(stage 1\) -> \d+\.\d% after \(stage 2\)/);
  assert.match(stdout, /time per stage: prepare .* stage1 .* stage2 .* stage3 .* fewshot_only .* total /);
  const report = join(out, 'run', 'report.html');
  assert.ok(existsSync(report), 'report.html written');
  assert.ok(stdout.includes(`report: ${report}`), 'report path printed');
  assert.match(readFileSync(report, 'utf8'), /<html/i);
  const demo = JSON.parse(readFileSync(join(out, 'demo.json'), 'utf8')) as DemoJson;
  assert.deepEqual(
    demo.rows.map((r) => r.id),
    ['source_only', 'alignment', 'few_shot', 'few_shot_only', 'tfidf_source', 'tfidf_source_few_shot', 'bow_dann'],
  );
  for (const r of demo.rows) {
    for (const x of [r.accuracy, r.macroF1]) assert.ok(x >= 0 && x <= 1, `${r.id}: ${x}`);
    // the table rounds to 0.1%: demo.json and stdout agree
    assert.ok(Math.abs(rows.get(ROW_NAMES[demo.rows.indexOf(r)]!)![0] - r.accuracy) <= 0.0005 + 1e-9, r.id);
  }
  for (const r of demo.rows.slice(0, 4)) assert.ok(r.domainAccuracy !== null && r.domainAccuracy >= 0 && r.domainAccuracy <= 1, `${r.id} domain accuracy`);
  for (const f of [`${source}.train.jsonl`, `${target}.heldout.jsonl`, `${target}.fewshot-200.jsonl`]) assert.ok(existsSync(join(out, 'data', f)), f);
  // The English recipe: stage 2 trains every layer and the embeddings, stage 1 keeps the top-level
  // freeze, and stage 2 ends by refitting the source head when that wins on source validation.
  const cfg = (JSON.parse(readFileSync(join(out, 'run', 'run.json'), 'utf8')) as { config: { freeze_layers: number | null; stage2: { freeze_layers: number | null; refit_head: string } } }).config;
  assert.deepEqual([cfg.stage2.freeze_layers, cfg.freeze_layers, cfg.stage2.refit_head], [0, null, 'auto']);
  // The printed domain-classifier line is demo.json's stage-1 / stage-2 values.
  const dc = /domain classifier accuracy .*: (\d+\.\d)% before alignment \(stage 1\) -> (\d+\.\d)% after \(stage 2\)/.exec(stdout)!;
  assert.deepEqual(
    [dc[1], dc[2]],
    [demo.domainConfusion.before, demo.domainConfusion.after].map((x) => (100 * x).toFixed(1)),
  );
  assert.deepEqual([demo.domainConfusion.before, demo.domainConfusion.after], [demo.rows[0]!.domainAccuracy, demo.rows[1]!.domainAccuracy]);
  // The data files the demo wrote are the fixed splits, and the TF-IDF rows are exactly what the
  // baseline gives on them (recomputed here from the files: the rows are about the stated data).
  const read = (f: string) => readDataset(join(out, 'data', f), { task: 'classification', labels: ['negative', 'positive'] }).examples.map((e) => e as { text: string; label: number });
  const train = read(`${source}.train.jsonl`);
  const test = read(`${target}.heldout.jsonl`);
  const few = read(`${target}.fewshot-200.jsonl`);
  const heldOut = EXPECT_TEST[target]! + SPLIT_TRAIN - 200;
  assert.deepEqual([train.length, test.length, few.length], [SPLIT_TRAIN, heldOut, 200]);
  assert.deepEqual(demo.sizes, { sourceTrain: SPLIT_TRAIN, targetTest: heldOut, fewShot: 200, targetUnlabelled: EXPECT_UNLABELLED[target] });
  // the rows are scored on the test split + the train-split reviews outside the few-shot set
  const split = splitDomain(target);
  const fewTexts = new Set(few.map((e) => e.text));
  assert.deepEqual(
    test.map((e) => e.text),
    [...split.test, ...split.train.filter((e) => !fewTexts.has(e.text))].map((e) => e.text),
    'the target file scored is the test split + the unused train split',
  );
  const validation = new Set(split.validation.map((e) => e.text));
  assert.ok(!test.some((e) => fewTexts.has(e.text) || validation.has(e.text)), 'no held-out review is a few-shot or validation review');
  const lt = (xs: typeof train) => ({ texts: xs.map((e) => e.text), labels: xs.map((e) => e.label) });
  const base = tfidfBaselines({ labels: ['negative', 'positive'], source: lt(train), targetTest: lt(test), targetFewShot: lt(few) });
  assert.deepEqual(
    demo.rows.slice(4, 6).map((r) => [r.accuracy, r.macroF1]),
    base.map((b) => [b.target.accuracy, b.target.macroF1]),
    'TF-IDF rows = tfidfBaselines on the written source train / target few-shot / target test files',
  );
  return demo;
}

/** Test-split sizes and unlabelled counts per domain (data/amazon/README.md). */
const EXPECT_TEST: Record<string, number> = { books: 156, dvd: 154, electronics: 166, kitchen: 177 };
const EXPECT_UNLABELLED: Record<string, number> = { books: 1863, dvd: 1798, electronics: 1324, kitchen: 1702 };

describe('demo splits (data/amazon/README.md "Splits")', () => {
  it('per domain: 1,600 train / 200 validation / the rest test, disjoint, stratified, same for the same seed', () => {
    const expectTest: Record<string, number> = { books: 156, dvd: 154, electronics: 166, kitchen: 177 };
    for (const d of DEMO_DOMAINS) {
      const s = splitDomain(d);
      assert.equal(s.train.length, SPLIT_TRAIN, d);
      assert.equal(s.validation.length, SPLIT_VALIDATION, d);
      assert.equal(s.test.length, expectTest[d], d);
      const ids = [...s.train, ...s.validation, ...s.test].map((e) => e.id);
      assert.equal(new Set(ids).size, ids.length, `${d}: splits overlap`);
      // stratified: the positive share of each split is within one review of the whole's
      const share = (xs: typeof s.train) => xs.filter((e) => e.label === 1).length / xs.length;
      const all = share([...s.train, ...s.validation, ...s.test]);
      for (const part of [s.train, s.validation, s.test]) assert.ok(Math.abs(share(part) - all) <= 1 / part.length + 1e-9, `${d}: not stratified`);
    }
    const a = splitDomain('kitchen');
    const b = splitDomain('kitchen');
    assert.deepEqual(
      a.test.map((e) => e.id),
      b.test.map((e) => e.id),
    );
    const c = splitDomain('kitchen', { seed: 7 });
    assert.notDeepEqual(
      a.test.map((e) => e.id),
      c.test.map((e) => e.id),
    );
  });

  it('held-out target reviews: the test split + the train split minus the few-shot set; a few-shot review from elsewhere is refused', () => {
    for (const d of DEMO_DOMAINS) {
      const s = splitDomain(d);
      const few = fewShotSet(s, 200);
      const h = heldOutTarget(s, few);
      assert.equal(h.length, EXPECT_TEST[d]! + SPLIT_TRAIN - 200, d);
      assert.deepEqual(h.slice(0, s.test.length), s.test, `${d}: test split first`);
      const ids = new Set(h.map((e) => e.id));
      assert.equal(ids.size, h.length, `${d}: duplicates`);
      for (const e of [...few, ...s.validation]) assert.ok(!ids.has(e.id), `${d}: ${e.id} is few-shot or validation`);
    }
    const k = splitDomain('kitchen');
    assert.throws(() => heldOutTarget(k, [k.validation[0]!]), /held-out kitchen reviews: few-shot review .* is not in the train split/);
  });

  it('match the fingerprints in data/amazon/README.md', () => {
    const readme = readFileSync(join('data', 'amazon', 'README.md'), 'utf8');
    const hash = (xs: Array<{ id: string | null }>) =>
      createHash('sha256')
        .update(xs.map((e) => e.id).join('\n'))
        .digest('hex')
        .slice(0, 12);
    for (const d of DEMO_DOMAINS) {
      const s = splitDomain(d);
      const row = new RegExp(`^\\| ${d} \\|.*\\| \`([0-9a-f]{12})\` \\| \`([0-9a-f]{12})\` \\|$`, 'm').exec(readme);
      assert.ok(row, `README has no Splits row for ${d}`);
      assert.equal(hash(s.test), row[1], `${d} test split changed`);
      assert.equal(hash(fewShotSet(s, 200)), row[2], `${d} few-shot set changed`);
    }
  });

  it('few-shot labels come from the train split only, stratified, fixed by seed', () => {
    const s = splitDomain('kitchen');
    const few = fewShotSet(s, 200);
    assert.equal(few.length, 200);
    const train = new Set(s.train.map((e) => e.id));
    assert.ok(few.every((e) => train.has(e.id)));
    const pos = few.filter((e) => e.label === 1).length;
    assert.ok(pos >= 95 && pos <= 105, `positives ${pos}`);
    assert.deepEqual(
      fewShotSet(s, 200).map((e) => e.id),
      few.map((e) => e.id),
    );
    assert.throws(() => fewShotSet(s, 1601), /shots: must be an integer in \[2, 1600\]/);
  });
});

describe('stage timing', () => {
  it('charges each stage from its start to its last note, prepare before, report after', () => {
    let t = 0;
    const p = new TimingProgress(silentProgress, () => ({ wall: t, cpu: 2 * t }));
    t = 1000;
    p.start('stage1', 10);
    t = 5000;
    p.note('stage1: target test acc 50%');
    t = 6000;
    p.start('stage2', 10);
    t = 9000;
    p.note('stage2: target test acc 50%');
    t = 9500;
    const r = p.finish();
    assert.deepEqual(
      r.map((x) => [x.name, x.seconds, x.cpuSeconds]),
      [
        ['prepare', 1, 2],
        ['stage1', 4, 8],
        ['stage2', 4, 8],
        ['baselines + report', 0.5, 1],
        ['total', 9.5, 19],
      ],
    );
  });
});

describe('adaptext demo end to end', () => {
  let tiny: string;
  before(() => {
    tiny = tinyBackbone();
  });

  it('--quick on a tiny backbone: table with every row, report.html, demo.json', async () => {
    const out = join(tmp(), 'out');
    const r = await runCli(['demo', '--quick', '--model', tiny, '--out', out, '--source', 'dvd', '--target', 'kitchen', ...TINY_SETS]);
    assert.equal(r.code, 0, r.stderr);
    const demo = checkRun(out, r.stdout, 'dvd', 'kitchen');
    assert.match(r.stdout, /^dvd -> kitchen: scored on 1577 held-out kitchen reviews, 200 target labels/m);
    // TF-IDF + LR does not depend on the backbone or the seed: its dvd -> kitchen rows are known
    // values (1,198 and 1,261 of the 1,577 held-out kitchen reviews right).
    assert.deepEqual(
      demo.rows.slice(4, 6).map((x) => [x.id, x.accuracy, x.macroF1]),
      [
        ['tfidf_source', 1198 / 1577, 0.7593881352472793],
        ['tfidf_source_few_shot', 1261 / 1577, 0.7996097808918099],
      ],
    );
    assert.match(r.stdout, /^TF-IDF \(word 1-2\) \+ LR, source only +76\.0% +75\.9% +-$/m);
    assert.match(r.stdout, /^TF-IDF \(word 1-2\) \+ LR, source \+ few-shot +80\.0% +80\.0% +-$/m);
    // the head refits of the demo recipe, as the log records them
    const inits = readFileSync(join(out, 'run', 'log.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((x) => x['type'] === 'head_init');
    assert.deepEqual(
      inits.map((x) => x['stage']),
      ['stage1', 'stage2', 'stage3', 'fewshot_only'],
    );
    // refit_head auto in stages 2 (source validation) and 3 (target validation): the probe replaces the head only when it wins
    for (const r of inits.slice(1, 3)) {
      assert.equal(typeof r['existing_validation_accuracy'], 'number');
      assert.equal(r['method'], (r['validation_accuracy'] as number) > (r['existing_validation_accuracy'] as number) ? 'linear_probe' : 'kept');
    }
    // the shallow bag-of-words DANN learns the task (about the TF-IDF level; chance is 50%)
    const bow = demo.rows[6]!;
    assert.ok(bow.id === 'bow_dann' && bow.accuracy > 0.6 && bow.macroF1 > 0.6, JSON.stringify(bow));
  });

  it('bad arguments: one-line errors, nothing written', async () => {
    const out = join(tmp(), 'out');
    let r = await runCli(['demo', '--source', 'kitchen', '--target', 'kitchen', '--model', tiny, '--out', out]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /the source and target domains must differ/);
    r = await runCli(['demo', '--target', 'toys', '--out', out]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /toys/);
    r = await runCli(['demo', '--model', tiny, '--out', out, '--set', 'stage1.epoch=2']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /stage1\.epoch/);
    assert.ok(!existsSync(out), 'no output folder after a refused run');
  });

  it('the default backbone is models/adaptext-mini-en: used when its weights exist, named when they do not', async () => {
    const bundled = bundledModelDir();
    assert.ok(bundled.endsWith(join('models', 'adaptext-mini-en')));
    const out = join(tmp(), 'out');
    const r = await runCli(['demo', '--quick', '--out', out, ...TINY_SETS]);
    if (existsSync(join(bundled, 'model.safetensors'))) {
      assert.equal(r.code, 0, r.stderr);
      checkRun(out, r.stdout);
      assert.match(r.stderr, new RegExp(`backbone ${escapeRe(bundled)}`));
    } else {
      assert.equal(r.code, 1);
      assert.match(r.stderr, new RegExp(`${escapeRe(bundled)}: not a usable model folder \\(missing (config\\.json, )?model\\.safetensors\\)`));
      assert.ok(!existsSync(out));
    }
  });
});
