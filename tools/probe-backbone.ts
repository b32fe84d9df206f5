// Downstream probe of a pretrained checkpoint: how useful are its features for cross-domain
// sentiment? Fine-tunes a fresh sequence-classification head + the top encoder layers on
// Amazon *books* (1,600 labelled reviews, stratified, seed 42) and reports accuracy and
// macro-F1 on a fixed *kitchen* test set (400 reviews, stratified, seed 7) — the books → kitchen
// transfer direction of the demo, zero target labels. Same data, seeds and budget for every
// checkpoint, so accuracy can be plotted against tokens seen in pretraining.
//
//   node --import tsx tools/probe-backbone.ts CHECKPOINT_DIR [--json-out FILE] [--train-layers 2]
//        [--epochs 3] [--lr 2e-4] [--max-length 128] [--batch-size 32] [--seed 1]
//
// CHECKPOINT_DIR: any HF folder (a pretraining output, its checkpoint/, snapshots/step-N).
// Prints one JSON line; --json-out appends it to a JSON Lines file (tools/model-card.ts
// reads it). Takes a few minutes on 2 cores for the 4-layer/256 backbone.
import { appendFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { loadModel } from '../src/models/index.js';
import { loadTokenizer } from '../src/text/index.js';
import { splitDataset } from '../src/data/index.js';
import { AdamW, linearWarmupDecaySchedule, optimizerUpdate } from '../src/optim/index.js';
import { Rng, noGrad } from '../src/tensor/index.js';
import { labelledReviews, padBatch, probeArgs, type Review } from './probe-data.js';

const {
  dir,
  dataDir,
  jsonOut,
  opt: args,
} = probeArgs('node --import tsx tools/probe-backbone.ts CHECKPOINT_DIR [--json-out FILE] [--train-layers N] [--epochs N] [--lr X] [--max-length N] [--batch-size N] [--seed N] [--data DIR]', [
  'train-layers',
  'epochs',
  'lr',
  'max-length',
  'batch-size',
  'seed',
]);
const trainLayers = Number(args['train-layers'] ?? '2');
const epochs = Number(args['epochs'] ?? '3');
const lr = Number(args['lr'] ?? '2e-4');
const maxLength = Number(args['max-length'] ?? '128');
const batchSize = Number(args['batch-size'] ?? '32');
const seed = Number(args['seed'] ?? '1');
const t0 = Date.now();

const labelled = (domain: string) => labelledReviews(dataDir, domain);

const labelOf = (x: Review) => x.label;
const train = splitDataset(labelled('books'), { seed: 42, sizes: { validation: 0, test: 0, train: 1600 }, labelOf }).train;
const test = splitDataset(labelled('kitchen'), { seed: 7, sizes: { validation: 0, test: 400 }, labelOf }).test;

const tok = loadTokenizer(dir);
const { model } = loadModel(dir, { seed });
const L = model.numLayers;
const maxLen = Math.min(maxLength, model.cfg.maxPositions);
model.addHead('probe', { type: 'sequence_classification', numLabels: 2, labels: ['negative', 'positive'] }, { main: true });
model.setActiveHeads(['probe']);
model.unfreezeAll();
model.freezeLayers(Math.max(0, L - trainLayers));
const params = model.parameters().filter((p) => p.requiresGrad);

interface Item {
  ids: number[];
  label: number;
}
const encode = (xs: readonly Review[]): Item[] => xs.map((x) => ({ ids: tok.encode(x.text, { maxLength: maxLen }).ids, label: x.label }));
const trainEnc = encode(train);
const testEnc = encode(test);

function batchOf(items: readonly Item[]) {
  return {
    input: padBatch(
      items.map((e) => e.ids),
      tok.specialIds.pad,
    ),
    labels: Int32Array.from(items, (e) => e.label),
  };
}

const rng = new Rng(seed);
const stepsPerEpoch = Math.ceil(trainEnc.length / batchSize);
const total = stepsPerEpoch * epochs;
const opt = new AdamW([{ name: 'probe', params, lr, noDecayOnBiasAndNorm: true }], { schedule: linearWarmupDecaySchedule(Math.round(total * 0.1), total) });
model.train(true);
let lastLoss = NaN;
for (let ep = 0; ep < epochs; ep++) {
  const order = rng.shuffle(trainEnc.map((_, i) => i));
  for (let s = 0; s < order.length; s += batchSize) {
    const b = batchOf(order.slice(s, s + batchSize).map((i) => trainEnc[i]!));
    const out = model.forward(b.input, { labels: { probe: b.labels } });
    lastLoss = out.loss!.data[0]!;
    out.loss!.backward();
    optimizerUpdate(opt, params, 1.0, lastLoss, `probe: training diverged at epoch ${ep + 1}`);
  }
}
model.train(false);
let correct = 0;
const conf: [[number, number], [number, number]] = [
  [0, 0],
  [0, 0],
]; // [gold][pred]
noGrad(() => {
  for (let s = 0; s < testEnc.length; s += 64) {
    const items = testEnc.slice(s, s + 64);
    const b = batchOf(items);
    const logits = model.forward(b.input).heads['probe']!.logits.data; // [B,2]
    items.forEach((e, i) => {
      const pred = logits[i * 2 + 1]! > logits[i * 2]! ? 1 : 0;
      conf[e.label as 0 | 1][pred] += 1;
      if (pred === e.label) correct += 1;
    });
  }
});
const f1 = (c: 0 | 1) => {
  const tp = conf[c][c];
  const fp = conf[1 - c][c];
  const fn = conf[c][1 - c];
  return tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
};
const stepMatch = /step-(\d+)/.exec(basename(resolve(dir)));
const result = {
  checkpoint: resolve(dir),
  step: stepMatch ? Number(stepMatch[1]) : null,
  task: 'books->kitchen',
  train: trainEnc.length,
  test: testEnc.length,
  accuracy: correct / testEnc.length,
  macro_f1: (f1(0) + f1(1)) / 2,
  final_train_loss: lastLoss,
  train_layers: trainLayers,
  epochs,
  lr,
  max_length: maxLen,
  seconds: (Date.now() - t0) / 1000,
  time: new Date().toISOString(),
};
process.stdout.write(JSON.stringify(result) + '\n');
if (jsonOut !== undefined) appendFileSync(jsonOut, JSON.stringify(result) + '\n');
