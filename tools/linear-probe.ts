// Linear probe of a checkpoint's frozen features: books (1,600 labelled, seed 42) → kitchen
// (400, seed 7), logistic regression on [CLS], pooler output and masked mean of the last layer.
// Forward passes only (≈1 minute on 2 cores for the 4-layer backbone), so it can be run on every
// pretraining snapshot.
//   node --import tsx tools/linear-probe.ts CHECKPOINT_DIR [--json-out FILE] [--max-length 128] [--step N] [--eval test|validation]
// (--step: the pretraining step of CHECKPOINT_DIR when its name is not snapshots/step-N)
// --eval validation (for choosing a pretraining recipe without looking at any test set): the demo's
// fixed splits (src/demo/splits.ts) of all four domains; a probe per domain fitted on its 1,600-review
// train split, scored on its own validation split (in-domain) and on the other three domains'
// validation splits (cross-domain, the 12 ordered pairs); the means are reported.
// --lang zh (with --eval validation): the same over the bundled Chinese categories (data/zh-shopping).
import { appendFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { loadModel } from '../src/models/index.js';
import { loadTokenizer } from '../src/text/index.js';
import { splitDataset } from '../src/data/index.js';
import { noGrad } from '../src/tensor/index.js';
import { fitLogisticRegression, type LogisticRegressionModel } from '../src/eval/index.js';
import { bundledDataDir, demoCorpus } from '../src/demo/bundled.js';
import { splitDomain } from '../src/demo/splits.js';
import { labelledReviews, padBatch, probeArgs } from './probe-data.js';

const args = probeArgs('node --import tsx tools/linear-probe.ts CHECKPOINT_DIR [--json-out FILE] [--max-length N] [--step N] [--data DIR] [--eval test|validation] [--lang en|zh]', [
  'max-length',
  'step',
  'eval',
  'lang',
]);
const { dir, jsonOut, opt } = args;
const corpus = demoCorpus(opt['lang'] ?? 'en');
const dataDir = corpus.lang === 'en' || args.dataGiven ? args.dataDir : bundledDataDir(corpus.lang);
const evalOn = opt['eval'] ?? 'test';
if (evalOn !== 'test' && evalOn !== 'validation') throw new Error(`--eval ${evalOn}: expected test or validation`);
if (corpus.lang !== 'en' && evalOn === 'test') throw new Error(`--lang ${corpus.lang}: only --eval validation (the test probe is books -> kitchen)`);
const maxLength = Number(opt['max-length'] ?? '128');
const t0 = Date.now();

const tok = loadTokenizer(dir);
const { model } = loadModel(dir, { seed: 1 });
model.train(false);
const maxLen = Math.min(maxLength, model.cfg.maxPositions);
const KINDS = ['cls', 'pooler', 'mean'] as const;
type Kind = (typeof KINDS)[number];

// One encoder pass per batch; [CLS], pooler output and masked mean taken from it.
function feats(xs: ReadonlyArray<{ text: string }>): Record<Kind, Float32Array[]> {
  const out: Record<Kind, Float32Array[]> = { cls: [], pooler: [], mean: [] };
  noGrad(() => {
    for (let s = 0; s < xs.length; s += 32) {
      const items = xs.slice(s, s + 32).map((x) => tok.encode(x.text, { maxLength: maxLen }).ids);
      const input = padBatch(items, tok.specialIds.pad);
      const [B, T] = input.shape;
      const o = model.forward(input);
      const h = o.lastHiddenState.data; // [B,T,H]
      const H = o.lastHiddenState.shape[2]!;
      for (let b = 0; b < B; b++) {
        out.cls.push(h.slice(b * T * H, b * T * H + H));
        out.pooler.push(o.pooledOutput.data.slice(b * H, (b + 1) * H));
        const m = new Float32Array(H);
        const n = items[b]!.length;
        for (let t = 0; t < n; t++) for (let j = 0; j < H; j++) m[j]! += h[(b * T + t) * H + j]! / n;
        out.mean.push(m);
      }
    }
  });
  return out;
}
const acc = (m: LogisticRegressionModel, X: Float32Array[], ys: ReadonlyArray<{ label: number | null }>) => {
  const p = m.predict(X);
  let ok = 0;
  ys.forEach((y, i) => {
    if (p[i] === y.label) ok++;
  });
  return ok / ys.length;
};
const stepOf = opt['step'] ?? /step-(\d+)/.exec(basename(resolve(dir)))?.[1];
const result: Record<string, unknown> = { checkpoint: resolve(dir), step: stepOf === undefined ? null : Number(stepOf), probe: 'linear' };
const labelOf = (x: { label: number | null }) => x.label ?? -1;
if (evalOn === 'test') {
  const labelled = (domain: string) => labelledReviews(dataDir, domain);
  const booksSplit = splitDataset(labelled('books'), { seed: 42, sizes: { validation: 0, test: 200, train: 1600 }, labelOf });
  const kitchen = splitDataset(labelled('kitchen'), { seed: 7, sizes: { validation: 0, test: 400 }, labelOf }).test;
  result['task'] = 'books->kitchen';
  const fTrain = feats(booksSplit.train);
  const fBooks = feats(booksSplit.test);
  const fKitchen = feats(kitchen);
  for (const k of KINDS) {
    const m = fitLogisticRegression(
      fTrain[k],
      booksSplit.train.map((x) => x.label),
      { C: 1.0 },
    );
    result[k] = { books_test: acc(m, fBooks[k], booksSplit.test), kitchen_test: acc(m, fKitchen[k], kitchen) };
  }
} else {
  result['task'] = 'validation: 4 in-domain, 12 cross-domain pairs';
  result['lang'] = corpus.lang;
  const splits = corpus.domains.map((d) => splitDomain(d, { dataDir }));
  const train = splits.map((s) => feats(s.train));
  const val = splits.map((s) => feats(s.validation));
  for (const k of KINDS) {
    const inDomain: number[] = [];
    const cross: number[] = [];
    splits.forEach((s, i) => {
      const m = fitLogisticRegression(train[i]![k], s.train.map(labelOf), { C: 1.0 });
      splits.forEach((t, j) => (i === j ? inDomain : cross).push(acc(m, val[j]![k], t.validation)));
    });
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    result[k] = { in_domain_validation: mean(inDomain), cross_domain_validation: mean(cross) };
  }
}
result['seconds'] = (Date.now() - t0) / 1000;
const line = JSON.stringify(result);
process.stdout.write(line + '\n');
if (jsonOut !== undefined) appendFileSync(jsonOut, line + '\n');
