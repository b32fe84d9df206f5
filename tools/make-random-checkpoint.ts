// Build a full-size random-weight Hugging Face checkpoint from a real model's config and
// tokenizer files (no hub download possible here), for loader checks and benchmarks:
//
//   node --import tsx tools/make-random-checkpoint.ts --from /work/shared/hf-files/bert-base-chinese \
//        --out /tmp/bert-base-chinese-random-f16 [--dtype F32|F16|BF16] [--seed 1] [--time-load]
//
// The folder looks like the hub's `BertForPreTraining` checkpoints (bert-base-chinese,
// bert-base-uncased): `bert.*` backbone with pooler, `cls.predictions.*` MLM head (decoder tied to
// the word embeddings, so no `decoder.weight` is stored, as safetensors conversion drops shared
// tensors), `cls.seq_relationship.*` NSP head (ignored by the loader), config.json copied
// unchanged, every tokenizer file copied. Weights follow HF init: N(0, initializer_range).
// Write it outside the repository (it is ~400 MB in F32): the script refuses paths inside it.
//
// --time-load: after writing, time `loadModel` on the folder (and `loadTokenizer`) in this
// process, best of 3, with the file in the page cache; prints one line per measurement.
import { copyFileSync, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeDirAtomic } from '../src/io/atomic.js';
import { writeSafetensors, type SafetensorsWriteDtype } from '../src/io/safetensors.js';
import { AdapterModel, hfTensors, loadModel, readModelConfig } from '../src/models/index.js';
import { normal_ } from '../src/nn/init.js';
import { Rng } from '../src/tensor/index.js';
import { loadTokenizer } from '../src/text/index.js';

const TOKENIZER_FILES = ['vocab.txt', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'added_tokens.json', 'vocab.json', 'merges.txt'];

interface Options {
  from: string;
  out: string;
  dtype: SafetensorsWriteDtype;
  seed: number;
  timeLoad: boolean;
}

function parseArgs(argv: string[]): Options {
  const o: Partial<Options> = { dtype: 'F32', seed: 1, timeLoad: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--from') o.from = next();
    else if (a === '--out') o.out = next();
    else if (a === '--dtype') {
      const d = next().toUpperCase();
      if (d !== 'F32' && d !== 'F16' && d !== 'BF16') throw new Error(`--dtype must be F32, F16 or BF16, got ${d}`);
      o.dtype = d;
    } else if (a === '--seed') o.seed = Number(next());
    else if (a === '--time-load') o.timeLoad = true;
    else if (a === '--help' || a === '-h') {
      console.log('usage: node --import tsx tools/make-random-checkpoint.ts --from HF_FILES_DIR --out DIR [--dtype F32|F16|BF16] [--seed N] [--time-load]');
      process.exit(0);
    } else throw new Error(`unknown option ${a} (try --help)`);
  }
  if (o.from === undefined || o.out === undefined) throw new Error('--from and --out are required (try --help)');
  const repo = resolve(fileURLToPath(new URL('..', import.meta.url)));
  const rel = relative(repo, resolve(o.out));
  if (!rel.startsWith('..') && !resolve(o.out).startsWith('/tmp')) throw new Error(`--out ${o.out} is inside the repository; write the checkpoint elsewhere (e.g. /tmp)`);
  return o as Options;
}

function mib(bytes: number): string {
  return `${(bytes / (1 << 20)).toFixed(1)} MiB`;
}

function main(): void {
  const o = parseArgs(process.argv.slice(2));
  const config = readModelConfig(o.from);
  const t0 = performance.now();
  // AdapterModel initialises like HF (_init_weights: N(0, initializer_range), LayerNorm 1/0).
  const model = new AdapterModel(config, { seed: o.seed });
  model.addHead('mlm', { type: 'masked_lm' }, { main: true });
  const rng = new Rng(o.seed + 1);
  const std = model.cfg.initializerRange;
  const tensors = new Map(hfTensors(model, 'mlm'));
  // NSP head of BertForPreTraining checkpoints: present in the hub files, ignored by our loader.
  const nspW = new Float32Array(2 * model.cfg.hiddenSize);
  normal_(nspW, std, rng);
  tensors.set('cls.seq_relationship.weight', { shape: [2, model.cfg.hiddenSize], data: nspW });
  tensors.set('cls.seq_relationship.bias', { shape: [2], data: new Float32Array(2) });
  const tInit = performance.now();
  writeDirAtomic(o.out, (tmp) => {
    writeSafetensors(join(tmp, 'model.safetensors'), tensors, { dtype: o.dtype, metadata: { format: 'pt' } });
    copyFileSync(join(o.from, 'config.json'), join(tmp, 'config.json'));
    for (const f of TOKENIZER_FILES) if (existsSync(join(o.from, f))) copyFileSync(join(o.from, f), join(tmp, f));
  });
  const tWrite = performance.now();
  const bytes = readdirSync(o.out).reduce((n, f) => n + statSync(join(o.out, f)).size, 0);
  let params = 0;
  for (const t of tensors.values()) params += t.data.length;
  console.log(
    `wrote ${o.out}: ${model.cfg.modelType} L${model.cfg.numLayers} H${model.cfg.hiddenSize} V${model.cfg.vocabSize}, ` +
      `${tensors.size} tensors, ${(params / 1e6).toFixed(1)}M values, ${o.dtype}, ${mib(bytes)} ` +
      `(init ${((tInit - t0) / 1000).toFixed(1)} s, write ${((tWrite - tInit) / 1000).toFixed(1)} s)`,
  );
  if (o.timeLoad) timeLoad(o.out);
}

/** loadModel / loadTokenizer timings on `dir`, 3 times each: the first may read from disk, the
 * others from the page cache; the best is reported with all three. */
export function timeLoad(dir: string): void {
  const all: number[] = [];
  const best = (f: () => void): number => {
    let b = Infinity;
    all.length = 0;
    for (let i = 0; i < 3; i++) {
      const t = performance.now();
      f();
      const dt = performance.now() - t;
      all.push(dt / 1000);
      b = Math.min(b, dt);
    }
    return b / 1000;
  };
  let info = '';
  const tModel = best(() => {
    const r = loadModel(dir);
    info = `${r.model.parameters().length} parameters, ignored ${r.info.ignored.length} (${r.info.ignored.join(', ')}), heads ${JSON.stringify(r.info.heads)}`;
  });
  const runs = all.map((x) => x.toFixed(2)).join(' / ');
  const tTok = best(() => void loadTokenizer(dir));
  const rss = /VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
  console.log(`loadModel ${dir}: ${tModel.toFixed(2)} s (best of 3: ${runs} s; ${info}); loadTokenizer: ${(tTok * 1000).toFixed(0)} ms; peak RSS ${rss ? mib(Number(rss) * 1024) : '?'}`);
}

if (process.argv.includes('--load-only')) {
  // `--load-only DIR`: time loading an existing folder in a fresh process (no writing); the
  // peak RSS printed is then the loader's own.
  const i = process.argv.indexOf('--load-only');
  const dir = process.argv[i + 1];
  if (dir === undefined) throw new Error('--load-only needs a folder');
  timeLoad(dir);
} else main();
