// How positive is each bundled domain's UNLABELLED pool? The labelled reviews (and so every test
// set) are balanced by construction; the unlabelled reviews are whatever the crawl held. Stage 2
// aligns the source's labelled rows with the target's unlabelled pool, so a different label mix
// in the pool is a label shift that marginal alignment (DANN, confusion, centring) cannot tell from
// domain shift (Zhao et al. 2019, "On learning invariant representations for domain adaptation").
//
//   node --import tsx bench/transfer/pool-prior.ts [--lang en|zh]
//
// Per domain: in-domain TF-IDF + logistic regression fitted on the demo's train split (1,600
// labelled reviews), its confusion on the rest of the labelled reviews, the share of the pool it
// predicts positive, and that share corrected for the classifier's errors (black-box shift
// estimation, Lipton et al. 2018: q = (share − fpr) / (tpr − fpr)).
import { readDataset } from '../../src/data/index.js';
import { trainTfidfClassifier } from '../../src/baselines/index.js';
import { demoCorpus, unlabelledFile, bundledDataDir } from '../../src/demo/bundled.js';
import { DEMO_LABELS, splitDomain } from '../../src/demo/splits.js';
import { classificationMetrics } from '../../src/eval/metrics.js';

const i = process.argv.indexOf('--lang');
const corpus = demoCorpus(i >= 0 ? process.argv[i + 1] : 'en');
const POS = DEMO_LABELS.indexOf('positive');
const NEG = DEMO_LABELS.indexOf('negative');
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

console.log(`| ${corpus.lang} domain | pool size | classifier accuracy (held-out labelled) | tpr / fpr | pool predicted positive | pool positive, BBSE-corrected |`);
console.log('|---|---:|---:|---:|---:|---:|');
for (const d of corpus.domains) {
  const dataDir = bundledDataDir(corpus.lang);
  const s = splitDomain(d, { dataDir });
  const held = [...s.validation, ...s.test];
  const clf = trainTfidfClassifier(
    s.train.map((e) => e.text),
    s.train.map((e) => e.label!),
  );
  const m = classificationMetrics(
    held.map((e) => e.label!),
    clf.predict(held.map((e) => e.text)),
    [...DEMO_LABELS],
  );
  const [neg, pos] = [m.confusion[NEG]!, m.confusion[POS]!];
  const tpr = pos[POS]! / (pos[NEG]! + pos[POS]!);
  const fpr = neg[POS]! / (neg[NEG]! + neg[POS]!);
  const pool = readDataset(unlabelledFile(d, dataDir), { task: 'unlabelled' }).examples.map((e) => (e as { text: string }).text);
  const share = Array.from(clf.predict(pool)).filter((v) => v === POS).length / pool.length;
  const q = Math.min(1, Math.max(0, (share - fpr) / (tpr - fpr)));
  console.log(`| ${d} | ${pool.length} | ${pct(m.accuracy)} (n = ${held.length}) | ${pct(tpr)} / ${pct(fpr)} | ${pct(share)} | **${pct(q)}** |`);
}
