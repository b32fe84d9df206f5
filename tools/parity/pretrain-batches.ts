// PyTorch parity of `adaptext pretrain`, step 1: the shared inputs. Writes into DIR
//   init/                   the starting model: a fresh BERT of the bundled backbone's size (seed
//                           --seed) with the bundled tokenizer, F32, as `adaptext pretrain --model` and
//                           the PyTorch mirror both load it
//   train.ids.i16 / train.labels.i16   [steps, B, T] little-endian int16: the exact batches
//                           `adaptext pretrain --seed S` draws (src/pretrain/batches.ts), masking included
//   heldout-K.ids.i16 / .labels.i16    [n, T] the held-out batches of each --heldout file
//   meta.json               shapes, files, recipe
//   cache/                  the token cache of this script
// Only dropout differs between the two runs (each framework draws its own masks).
//
//   node --import tsx tools/parity/pretrain-batches.ts DIR --steps N [--seed 42] [--batch-size 32]
//        [--heldout-sequences 200] TRAIN_FILES... --heldout FILE [--heldout FILE]
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MlmMasker } from '../../src/data/index.js';
import { AdapterModel, saveModel } from '../../src/models/index.js';
import { PRETRAIN_DEFAULTS, TrainBatches, expandInputs, heldoutBatches, loadStream, packStream, scratchConfig } from '../../src/pretrain/index.js';
import { bundledModelDir } from '../../src/demo/index.js';
import { Rng } from '../../src/tensor/index.js';
import { loadTokenizer } from '../../src/text/index.js';
import type { Batch } from '../../src/data/index.js';

const args = process.argv.slice(2);
const opt = { dir: '', steps: 0, seed: 42, batchSize: 32, heldoutSequences: 200, train: [] as string[], heldout: [] as string[] };
for (let i = 0; i < args.length; i++) {
  const a = args[i]!;
  const num = (): number => {
    const v = Number(args[++i]);
    if (!Number.isInteger(v) || v < 0) throw new Error(`pretrain-batches: ${a} needs a non-negative integer, got '${args[i]}'`);
    return v;
  };
  if (a === '--steps') opt.steps = num();
  else if (a === '--seed') opt.seed = num();
  else if (a === '--batch-size') opt.batchSize = num();
  else if (a === '--heldout-sequences') opt.heldoutSequences = num();
  else if (a === '--heldout') opt.heldout.push(args[++i] ?? '');
  else if (a.startsWith('--')) throw new Error(`pretrain-batches: unknown flag ${a}`);
  else if (opt.dir === '') opt.dir = a;
  else opt.train.push(a);
}
if (opt.dir === '' || opt.steps === 0 || opt.train.length === 0) throw new Error('usage: pretrain-batches.ts DIR --steps N TRAIN_FILES... [--heldout FILE]');

const tok = loadTokenizer(bundledModelDir());
const T = PRETRAIN_DEFAULTS.maxLength;
const recipe = { ...PRETRAIN_DEFAULTS, seed: opt.seed, batchSize: opt.batchSize, heldoutSequences: opt.heldoutSequences };
const model = new AdapterModel(scratchConfig({ ...recipe, out: '', inputs: [] }, tok.vocabSize, tok.specialIds.pad), { seed: opt.seed });
model.addHead('mlm', { type: 'masked_lm' }, { main: true });
saveModel(model, join(opt.dir, 'init'), { mainHead: 'mlm', tokenizer: tok, dtype: 'F32' });

const cacheDir = join(opt.dir, 'cache');
mkdirSync(cacheDir, { recursive: true });
const trainFiles = expandInputs(opt.train, 'input');
const heldFiles = expandInputs(opt.heldout, 'held-out file');
const s = loadStream(trainFiles, tok, { textField: 'text', cacheDir, name: 'train' });
const corpus = packStream(s.stream, T, s.info.records);
const masker = MlmMasker.fromTokenizer(tok, { probability: recipe.mlmProbability });

function toI16(a: Int32Array, what: string): Int16Array {
  const o = new Int16Array(a.length);
  for (let i = 0; i < a.length; i++) {
    if (a[i]! < -32768 || a[i]! > 32767) throw new Error(`pretrain-batches: ${what}[${i}] = ${a[i]} does not fit int16`);
    o[i] = a[i]!;
  }
  return o;
}
function dump(name: string, batches: Iterable<Batch>): number {
  const ids: Int16Array[] = [];
  const labels: Int16Array[] = [];
  let n = 0;
  for (const b of batches) {
    ids.push(toI16(b.inputIds, `${name} ids`));
    labels.push(toI16(b.mlmLabels!, `${name} labels`));
    n += b.B;
  }
  const cat = (parts: Int16Array[]): Buffer => Buffer.concat(parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength)));
  writeFileSync(join(opt.dir, `${name}.ids.i16`), cat(ids));
  writeFileSync(join(opt.dir, `${name}.labels.i16`), cat(labels));
  return n;
}

const stream = new TrainBatches(corpus, tok, masker, opt.seed, new Rng((opt.seed + 1) >>> 0));
const trainSeqs = dump(
  'train',
  (function* () {
    for (let i = 0; i < opt.steps; i++) yield stream.next(opt.batchSize);
  })(),
);
const held = heldFiles.map((f, k) => {
  const h = loadStream([f], tok, { textField: 'text', cacheDir, name: `heldout-${k}` });
  const p = packStream(h.stream, T, h.info.records);
  return { file: f, sequences: dump(`heldout-${k}`, heldoutBatches(p, tok, masker, opt.heldoutSequences, opt.batchSize)) };
});
const meta = {
  steps: opt.steps,
  batch_size: opt.batchSize,
  seq_len: T,
  seed: opt.seed,
  train_sequences: trainSeqs,
  train_files: trainFiles,
  corpus_tokens: s.info.tokens,
  heldout: held,
  recipe: { lr: recipe.lr, betas: [0.9, 0.98], eps: 1e-6, weight_decay: recipe.weightDecay, clip: recipe.clip, mlm_probability: recipe.mlmProbability },
};
writeFileSync(join(opt.dir, 'meta.json'), JSON.stringify(meta, null, 1) + '\n');
console.log(`pretrain-batches: ${opt.steps} steps × ${opt.batchSize} × ${T} (${trainSeqs * T} tokens) and ${held.length} held-out set(s) written to ${opt.dir}`);
