// `adaptext demo --lang zh`: the bundled Chinese shopping categories (data/zh-shopping) through the
// same pipeline — fixed splits with the README's fingerprints, the TF-IDF rows on character
// n-grams (Chinese has no spaces), language-specific domain errors, and the bundled Chinese
// backbone used by default (or named when its weights are missing).
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { bundledDataDir, bundledModelDir, DEMO_CORPORA, fewShotSet, splitDomain, SPLIT_TRAIN, SPLIT_VALIDATION } from '../../src/demo/index.js';
import { readDataset } from '../../src/data/index.js';
import { unlabelledFile } from '../../src/demo/bundled.js';
import { runCli, tmp, TINY_SETS } from './helpers.js';
import { tinyBertFolder } from '../support/tiny-model.js';

const ZH = DEMO_CORPORA.zh;
const dataDir = bundledDataDir('zh');

describe('Chinese demo splits (data/zh-shopping/README.md "Splits")', () => {
  it('1,600 / 200 / 200 per domain, disjoint, balanced, with the README fingerprints', () => {
    const readme = readFileSync(join(dataDir, 'README.md'), 'utf8');
    const hash = (xs: Array<{ id: string | null }>) =>
      createHash('sha256')
        .update(xs.map((e) => e.id).join('\n'))
        .digest('hex')
        .slice(0, 12);
    for (const d of ZH.domains) {
      const s = splitDomain(d, { dataDir });
      assert.deepEqual([s.train.length, s.validation.length, s.test.length], [SPLIT_TRAIN, SPLIT_VALIDATION, 200], d);
      const ids = [...s.train, ...s.validation, ...s.test].map((e) => e.id);
      assert.equal(new Set(ids).size, ids.length, `${d}: splits overlap`);
      assert.equal(s.test.filter((e) => e.label === 1).length, 100, `${d}: test not balanced`);
      const row = new RegExp(`^\\| ${d} \\|.*\\| \`([0-9a-f]{12})\` \\| \`([0-9a-f]{12})\` \\|$`, 'm').exec(readme);
      assert.ok(row, `README has no Splits row for ${d}`);
      assert.equal(hash(s.test), row[1], `${d} test split changed`);
      assert.equal(hash(fewShotSet(s, 200)), row[2], `${d} few-shot set changed`);
    }
  });

  it('no labelled text is also an unlabelled text (stage 2 never sees a test review)', () => {
    for (const d of ZH.domains) {
      const labelled = new Set(splitDomain(d, { dataDir }).test.map((e) => e.text));
      const unl = readDataset(unlabelledFile(d, dataDir), { task: 'unlabelled' }).examples.map((e) => (e as { text: string }).text);
      assert.equal(unl.length, 1850);
      assert.equal(unl.filter((t) => labelled.has(t)).length, 0, d);
    }
  });
});

describe('adaptext demo --lang zh end to end', () => {
  let tiny: string;
  before(() => {
    const texts = function* () {
      for (const d of ZH.domains) {
        for (const e of readDataset(unlabelledFile(d, dataDir), { task: 'unlabelled', limit: 200 }).examples) if (e.kind === 'text') yield e.text;
      }
    };
    tiny = tinyBertFolder({ corpus: 'demo-zh-unlabelled', texts, vocab: 1500, seed: 5 });
  });

  it('--quick on a tiny backbone: books -> hotel by default, TF-IDF on character 1-3-grams', async () => {
    const out = join(tmp(), 'out');
    const r = await runCli(['demo', '--lang', 'zh', '--quick', '--model', tiny, '--out', out, ...TINY_SETS]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^books -> hotel: scored on 1600 held-out hotel reviews, 200 target labels/m);
    for (const row of ['source only (stage 1)', '+ alignment (stages 1+2)', '+ few-shot (stages 1+2+3)', 'few-shot only (raw backbone)', 'bag-of-words + DANN (no target labels)']) {
      assert.match(r.stdout, new RegExp(`^${row.replace(/[()+]/g, '\\$&')} +\\d+\\.\\d% +\\d+\\.\\d%`, 'm'), row);
    }
    assert.match(r.stdout, /^TF-IDF \(char 1-3\) \+ LR, source only +\d+\.\d% +\d+\.\d% +-$/m);
    assert.match(r.stdout, /^TF-IDF \(char 1-3\) \+ LR, source \+ few-shot +\d+\.\d% +\d+\.\d% +-$/m);
    const demo = JSON.parse(readFileSync(join(out, 'demo.json'), 'utf8')) as { lang: string; sizes: Record<string, number>; kernels: string };
    assert.equal(demo.lang, 'zh');
    assert.match(demo.kernels, /^(native|wasm|js)\b/, 'demo.json names the tensor backend that ran');
    assert.deepEqual(demo.sizes, { sourceTrain: 1600, targetTest: 1600, fewShot: 200, targetUnlabelled: 1850 }); // held out: 200 test + 1,400 unused train
    assert.ok(existsSync(join(out, 'run', 'report.html')));
    // stage2.freeze_layers 0, measured for the Chinese backbone too; stage 1 keeps the top-level freeze
    // (the stage-2 head refit, measured on the Chinese backbone too, is off: it did not help there)
    const cfg = (JSON.parse(readFileSync(join(out, 'run', 'run.json'), 'utf8')) as { config: { freeze_layers: number | null; stage2: { freeze_layers?: number | null; refit_head: string } } }).config;
    assert.deepEqual([cfg.stage2.freeze_layers ?? null, cfg.freeze_layers, cfg.stage2.refit_head], [0, null, 'never']);
  });

  it('domains are checked against the language', async () => {
    const out = join(tmp(), 'out');
    const r = await runCli(['demo', '--lang', 'zh', '--target', 'kitchen', '--model', tiny, '--out', out]);
    assert.equal(r.code, 2, 'a usage error');
    assert.match(r.stderr, /--target: unknown domain 'kitchen' \(bundled zh domains: books, hotel, tablet, fruit\)/);
    assert.ok(!existsSync(out));
  });

  it('the default Chinese backbone is models/adaptext-mini-zh: used when its weights exist, named when they do not', async () => {
    const bundled = bundledModelDir('zh');
    assert.ok(bundled.endsWith(join('models', 'adaptext-mini-zh')));
    const out = join(tmp(), 'out');
    const r = await runCli(['demo', '--lang', 'zh', '--quick', '--out', out, ...TINY_SETS]);
    if (existsSync(join(bundled, 'model.safetensors'))) {
      assert.equal(r.code, 0, r.stderr);
      assert.ok(r.stderr.includes(`backbone ${bundled}`), r.stderr);
    } else {
      assert.equal(r.code, 1);
      assert.ok(r.stderr.includes(`${bundled}: no such model folder`) || r.stderr.includes(`${bundled}: not a usable model folder`), r.stderr);
      assert.ok(!existsSync(out));
    }
  });
});

describe('tools/bundle-zh-data.ts (the provenance of data/zh-shopping)', () => {
  const shared = join(import.meta.dirname, '..', '..', '..', 'shared', 'data', 'online_shopping_10_cats');
  const tool = join(import.meta.dirname, '..', '..', 'tools', 'bundle-zh-data.ts');
  const run = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', tool, ...args], { encoding: 'utf8' });

  it('refuses to replace existing outputs without --force, and names the first one', () => {
    const out = tmp();
    writeFileSync(join(out, 'stats.json'), 'mine\n');
    const r = run(['--out', out, '--shared', join(out, 'no-such-folder')]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /stats\.json exists; pass --force to replace the outputs/);
    assert.equal(readFileSync(join(out, 'stats.json'), 'utf8'), 'mine\n');
  });

  it('rebuilds the bundled files from the shared corpus, record for record', { skip: !existsSync(shared) && 'no ../shared copy of the corpus here' }, () => {
    const out = tmp();
    const r = run(['--out', out]);
    assert.equal(r.status, 0, r.stderr);
    for (const d of ZH.domains) {
      for (const kind of ['labeled', 'unlabeled']) {
        const f = `${d}.${kind}.jsonl.gz`;
        assert.equal(gunzipSync(readFileSync(join(out, f))).toString('utf8'), gunzipSync(readFileSync(join(dataDir, f))).toString('utf8'), f);
      }
    }
  });
});
