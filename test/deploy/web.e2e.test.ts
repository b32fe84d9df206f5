// The page `adaptext export --web` writes, run in headless Chromium: a tiny model is exported, its
// folder served from 127.0.0.1, the page opened, reviews typed and classified; the label and the
// scores the page shows equal `adaptext predict`'s (fp32: label and every score to 1e-4). The int8
// page (--quantize int8) loads its model_quantized.onnx and gives probabilities that sum to 1 and the
// fp32 label where fp32 is sure. Every request the page makes goes to the local server (anything
// else is blocked and fails the test), none fails, and the page logs no errors: transformers.js and
// the onnxruntime wasm come from the folder's vendor/, not a CDN.
// Needs Chromium (apt-get install -y chromium): skipped without it, failed without it in CI.
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { loadModel, saveModel } from '../../src/models/index.js';
import { loadTokenizer } from '../../src/text/index.js';
import { exportModel } from '../../src/deploy/export.js';
import { openForInference, predictFile } from '../../src/train/inference.js';
import { tinyBertFolder } from '../support/tiny-model.js';
import { tmp } from '../support/tmp.js';
import { browserTest, browserUnavailable, launchChromium, serveStatic, watchedPage } from '../support/browser.js';

const REVIEWS = [
  'This blender is great, I use it every day and it still looks new!',
  'Broke after two weeks. Terrible customer service; do not buy.',
  // longer than the model's 64 positions: the graph truncates like adaptext does
  Array.from({ length: 50 }, (_, i) => ['the', 'pan', 'was', 'awful', 'but', 'the', 'lid', 'is', 'lovely'][i % 9]).join(' '),
];

const LABELS = ['negative', 'positive'];

interface Prediction {
  label: string;
  probabilities: Record<string, number>;
}

/**
 * A tiny BERT with a 'kitchen' adapter and a 2-label head, scaled so the scores spread and its
 * bias shifted so the reviews do not all get the same label.
 */
function modelFolder(): string {
  const tiny = tinyBertFolder({ corpus: 'web-e2e', texts: () => [...REVIEWS, 'kitchen knife set sharp block nice arrived time good bad'] });
  const tokenizer = loadTokenizer(tiny);
  const { model } = loadModel(tiny);
  model.addAdapter('kitchen', 'seq_bn', { setActive: true });
  model.addHead('sentiment', { type: 'sequence_classification', numLabels: 2, labels: LABELS, pooling: 'mean' }, { setActive: true, main: true });
  const params = [...model.getHead('sentiment').parameters()];
  for (const p of params) for (let i = 0; i < p.data.length; i++) p.data[i] *= 40;
  const root = tmp('adaptext-web-model-');
  saveModel(model, join(root, 'uncentred'), { tokenizer, mainHead: 'sentiment' });
  const logOdds = predict(join(root, 'uncentred')).map((e) => Math.log(e.probabilities['positive']! / e.probabilities['negative']!));
  const bias = params.at(-1)!; // the output layer's [2] bias
  assert.equal(bias.data.length, 2);
  bias.data[1]! -= logOdds.reduce((a, b) => a + b, 0) / logOdds.length;
  saveModel(model, join(root, 'model'), { tokenizer, mainHead: 'sentiment' });
  return join(root, 'model');
}

function predict(model: string): Prediction[] {
  const input = join(tmp('adaptext-web-in-'), 'reviews.txt');
  writeFileSync(input, REVIEWS.join('\n') + '\n');
  const lines: string[] = [];
  predictFile(openForInference(model, { domain: 'kitchen' }), input, { write: (l) => lines.push(l) });
  return lines.map((l) => JSON.parse(l) as Prediction);
}

/**
 * Serve `root`, open the page at `root/sub/` (the export folder), classify every review; returns
 * what the page shows and the paths it fetched (relative to the export folder).
 */
async function classifyInPage(browser: Browser, root: string, sub = ''): Promise<{ results: { label: string; score: number; scores: Record<string, number> }[]; served: string[] }> {
  const server = await serveStatic(root);
  try {
    const origin = new URL(server.url).origin;
    const w = await watchedPage(browser, origin);
    const { page } = w;
    await page.goto(new URL(sub, server.url).href);
    await page.waitForSelector('body[data-ready], body[data-error]', { timeout: 60_000 });
    assert.equal(await page.getAttribute('body', 'data-error'), null, 'the page could not load its model');
    assert.equal(await page.textContent('label[for=text]'), 'Text to classify', 'the textarea has a label');
    const results: { label: string; score: number; scores: Record<string, number> }[] = [];
    for (const review of REVIEWS) {
      await page.evaluate("document.querySelector('#label').removeAttribute('data-label')");
      await page.fill('#text', review);
      await page.click('#go');
      await page.waitForSelector('#label[data-label]', { timeout: 30_000 });
      const label = (await page.getAttribute('#label', 'data-label')) ?? '';
      const score = Number(await page.getAttribute('#label', 'data-score'));
      const scores = JSON.parse((await page.getAttribute('#scores tbody', 'data-scores')) ?? '{}') as Record<string, number>;
      // what a reader sees: the label, and one row per label with its score to 4 decimals
      assert.match((await page.textContent('#label')) ?? '', new RegExp(`^${label} ${score.toFixed(4)}$`));
      const rows = await page.$$eval('#scores tbody tr', (trs) => trs.map((tr) => tr.textContent));
      assert.deepEqual(
        rows,
        LABELS.map((l) => `${l}${scores[l]?.toFixed(4)}`),
        'one row per label, in the label order of the model',
      );
      results.push({ label, score, scores });
    }
    await page.context().close();
    assert.deepEqual(w.offsite, [], 'the page asked for something not on the local server');
    assert.deepEqual(w.failed, [], 'failed requests');
    assert.deepEqual(w.errors, [], 'page errors');
    for (const url of w.requests) assert.equal(new URL(url).origin, origin, url);
    assert.ok(
      server.log.every((l) => l.startsWith('200 ')),
      server.log.join('\n'),
    );
    const prefix = sub === '' ? '' : '/' + decodeURIComponent(sub).replace(/\/$/, '');
    return {
      results,
      served: server.log
        .map((l) => l.slice(4))
        .filter((p) => p.startsWith(prefix + '/'))
        .map((p) => p.slice(prefix.length)),
    };
  } finally {
    await server.close();
  }
}

let browser: Browser | undefined;
let model = '';
let expected: Prediction[] = [];
before(async () => {
  if (browserUnavailable() !== null) return;
  model = modelFolder();
  expected = predict(model);
  assert.deepEqual(new Set(expected.map((e) => e.label)), new Set(LABELS), 'the fixture must give both labels, or equal labels would prove little');
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
});

browserTest('the exported page labels typed reviews in headless Chromium like adaptext predict (fp32, offline)', async () => {
  const out = join(tmp('adaptext-web-fp32-'), 'kitchen-web');
  exportModel({ model, domain: 'kitchen', output: out, web: true });
  const { results, served } = await classifyInPage(browser!, out);
  results.forEach((r, i) => {
    const e = expected[i]!;
    assert.equal(r.label, e.label, `review ${i}: label`);
    assert.ok(Math.abs(r.score - e.probabilities[e.label]!) <= 1e-4, `review ${i}: score ${r.score} vs ${e.probabilities[e.label]}`);
    assert.deepEqual(Object.keys(r.scores).sort(), Object.keys(e.probabilities).sort());
    for (const [l, s] of Object.entries(r.scores)) assert.ok(Math.abs(s - e.probabilities[l]!) <= 1e-4, `review ${i} ${l}: ${s} vs ${e.probabilities[l]}`);
  });
  for (const f of ['/', '/app.js', '/vendor/transformers.min.js', '/config.json', '/tokenizer.json', '/onnx/model.onnx']) assert.ok(served.includes(f), `the page fetched ${f}`);
  assert.ok(
    served.some((f) => f.startsWith('/vendor/') && f.endsWith('.wasm')),
    'the onnxruntime wasm came from vendor/',
  );
  assert.match(readFileSync(join(out, 'app.js'), 'utf8'), /dtype: "fp32"/);
});

browserTest('the --quantize int8 page loads model_quantized.onnx and labels reviews', async () => {
  // served from the parent folder this time: the page finds its model under any path
  const root = tmp('adaptext-web-int8-');
  exportModel({ model, domain: 'kitchen', output: join(root, 'kitchen web int8'), web: true, quantize: true });
  const { results, served } = await classifyInPage(browser!, root, 'kitchen%20web%20int8/');
  assert.ok(served.includes('/config.json'));
  assert.ok(served.includes('/onnx/model_quantized.onnx'));
  assert.ok(!served.includes('/onnx/model.onnx'), 'the int8 page does not download the fp32 model');
  results.forEach((r, i) => {
    const e = expected[i]!;
    const sum = Object.values(r.scores).reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sum - 1) < 1e-5, `review ${i}: scores sum to ${sum}`);
    for (const s of Object.values(r.scores)) assert.ok(s >= 0 && s <= 1);
    assert.ok(Math.abs(r.score - Math.max(...Object.values(r.scores))) < 1e-9, 'the label is the best score');
    // int8 moves scores a little: where fp32 is sure, the label must agree
    if (e.probabilities[e.label]! > 0.6) assert.equal(r.label, e.label, `review ${i}: int8 label vs fp32 ${JSON.stringify(e.probabilities)}`);
  });
});
