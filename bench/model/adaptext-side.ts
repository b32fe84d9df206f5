// adaptext side of `npm run bench:model` (one scenario per process, so VmHWM is its own):
//
//   node --import tsx bench/model/adaptext-side.ts --scenario a|b|c|d|e [--warmup 2] [--iters 5]
//        [--breakdown-iters 2] [--zero-grad drop|fill] [--dropout P] [--batch B] [--seq T] [--hidden H --layers L --heads A --intermediate I --vocab V]
//        [--model-config FILE] [--mlm-decoder masked|full]   (d only)   [--precision fp32|bf16]
//
// --precision bf16 runs every linear layer's GEMMs (forward, dX, dW) with bf16 inputs and fp32
// sums (src/tensor/precision.ts: what `--precision bf16` does in train/predict), the rest fp32.
//
// Prints ONE JSON line: per-step times (clean run), median, peak RSS, GC time, and a breakdown
// from extra steps run with every kernels() method wrapped in a timer (the proxy is installed
// only after the timed steps, so the headline numbers carry no instrumentation).
//
// Scenarios (random weights, HF-like scale; dropout on in training), same as torch_peer.py:
//   a  full training step: forward + cross-entropy + backward + AdamW, every parameter trainable
//   b  seq_bn adapters (reduction 16) in layers 6-11 + classification head trainable, the rest
//      frozen (trainOnly): no weight gradients, and no backward below layer 6
//   c  inference: eval(), inferenceMode (noGrad + pooled activations, as predict), logits only, batch 32
//   d  pretraining step of the bundled backbone: the architecture of --model-config (default
//      models/adaptext-mini-en/config.json), the library's own random init (seed 42), a tied
//      masked_lm head, batch 32 x 128, 15% of positions labelled (mlmBatch(), the same positions
//      as torch_peer.py), and the per-step calls of `adaptext pretrain` (src/pretrain/pretrain.ts):
//      model.forward with the MLM labels, loss.backward(), optimizerUpdate() (global grad-norm
//      clip 1.0, AdamW betas 0.9/0.98, eps 1e-6, weight decay 0.01 except biases/LayerNorm,
//      linear warm-up/decay schedule, gradients dropped). The decoder is applied as pretraining
//      applies it: only at the labelled positions (--mlm-decoder full: at every position, the
//      masked_lm head's sparseLogits: false, a what-if). --zero-grad does not apply to d.
//   e  stage-3 step on the bundled backbone (models/adaptext-mini-en's weights): target adapter +
//      task head trainable, the rest frozen, batch 16 x 128, the pipeline's per-step calls and
//      optimizer (stage3-step.ts). --zero-grad and --dropout do not apply to e.
import { PerformanceObserver } from 'node:perf_hooks';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AdapterModel } from '../../src/models/index.js';
import type { BertFamilyConfig } from '../../src/models/index.js';
import { AdamW, linearWarmupDecaySchedule, optimizerUpdate } from '../../src/optim/index.js';
import { inferenceMode, kernels, withScratch } from '../../src/tensor/index.js';
import { MATMUL_PRECISIONS, setMatmulPrecision } from '../../src/tensor/precision.js';
import type { MatmulPrecision } from '../../src/tensor/precision.js';
import type { Kernels } from '../../src/tensor/index.js';
import { loadNativeAddon } from '../../src/tensor/kernels/native.js';
import { hash32 } from './hash.js';
import { setupStage3Step } from './stage3-step.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

interface Args {
  scenario: 'a' | 'b' | 'c' | 'd' | 'e';
  warmup: number;
  iters: number;
  breakdownIters: number;
  batch: number | null;
  seq: number;
  hidden: number;
  layers: number;
  heads: number;
  intermediate: number;
  vocab: number;
  frozenLayers: number;
  reduction: number;
  /** 'drop': model.zeroGrad() (the library's way: grads freed, re-allocated by the next backward);
   * 'fill': keep the buffers and zero them in place (torch zero_grad(set_to_none=False)). */
  zeroGrad: 'drop' | 'fill';
  /** hidden + attention dropout (what-if runs: 0 shows what dropout costs). */
  dropout: number;
  /** d: the HF config.json whose architecture is pretrained. */
  modelConfig: string;
  /** d: decoder over the labelled positions only (pretraining's way) or over all of them (HF's). */
  mlmDecoder: 'masked' | 'full';
  /** matmul precision of the linear layers (the process-wide setting train/predict scope). */
  precision: MatmulPrecision;
}

function parseArgs(argv: string[]): Args {
  const a: Args = {
    scenario: 'a',
    warmup: 2,
    iters: 5,
    breakdownIters: 2,
    batch: null,
    seq: 128,
    hidden: 768,
    layers: 12,
    heads: 12,
    intermediate: 3072,
    vocab: 21128,
    frozenLayers: 6,
    reduction: 16,
    zeroGrad: 'drop',
    dropout: 0.1,
    modelConfig: join(ROOT, 'models', 'adaptext-mini-en', 'config.json'),
    mlmDecoder: 'masked',
    precision: 'fp32',
  };
  const num: Record<string, keyof Args> = {
    '--warmup': 'warmup',
    '--iters': 'iters',
    '--breakdown-iters': 'breakdownIters',
    '--batch': 'batch',
    '--seq': 'seq',
    '--hidden': 'hidden',
    '--layers': 'layers',
    '--heads': 'heads',
    '--intermediate': 'intermediate',
    '--vocab': 'vocab',
    '--frozen-layers': 'frozenLayers',
    '--reduction': 'reduction',
  };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]!;
    const v = argv[++i];
    if (v === undefined) throw new Error(`adaptext-side: ${k} needs a value`);
    if (k === '--scenario') {
      if (v !== 'a' && v !== 'b' && v !== 'c' && v !== 'd' && v !== 'e') throw new Error(`adaptext-side: --scenario must be a, b, c, d or e, got ${v}`);
      a.scenario = v;
    } else if (k === '--model-config') {
      a.modelConfig = v;
    } else if (k === '--mlm-decoder') {
      if (v !== 'masked' && v !== 'full') throw new Error(`adaptext-side: --mlm-decoder must be masked or full, got ${v}`);
      a.mlmDecoder = v;
    } else if (k === '--precision') {
      if (!(MATMUL_PRECISIONS as readonly string[]).includes(v)) throw new Error(`adaptext-side: --precision must be ${MATMUL_PRECISIONS.join(' or ')}, got ${v}`);
      a.precision = v as MatmulPrecision;
    } else if (k === '--dropout') {
      const p = Number(v);
      if (!(p >= 0 && p < 1)) throw new Error(`adaptext-side: --dropout must be in [0, 1), got ${v}`);
      a.dropout = p;
    } else if (k === '--zero-grad') {
      if (v !== 'drop' && v !== 'fill') throw new Error(`adaptext-side: --zero-grad must be drop or fill, got ${v}`);
      a.zeroGrad = v;
    } else if (num[k] !== undefined) {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) throw new Error(`adaptext-side: ${k} must be a non-negative integer, got ${v}`);
      (a as unknown as Record<string, number>)[num[k]!] = n;
    } else throw new Error(`adaptext-side: unknown option ${k}`);
  }
  return a;
}

/**
 * Weights at HF init scale without 100M Box-Muller draws in JS (~10 s): uniform with the
 * same std (0.02), biases 0, LayerNorm 1/0. Kernel speed does not depend on the distribution.
 */
function fastRandomInit(model: AdapterModel, std: number): void {
  let s = 0x9e3779b9 >>> 0;
  const a = std * Math.sqrt(3);
  for (const [k, p] of model.namedParameters()) {
    const d = p.data;
    if (/LayerNorm\.weight$|\.2\.weight$/.test(k) && p.ndim === 1) d.fill(1);
    else if (k.endsWith('.bias')) d.fill(0);
    else {
      for (let i = 0; i < d.length; i++) {
        s ^= s << 13;
        s ^= s >>> 17;
        s ^= s << 5;
        d[i] = ((s >>> 0) / 4294967296 - 0.5) * 2 * a;
      }
    }
  }
}

function vmHwmKB(): number {
  const m = /VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m === null ? -1 : Number(m[1]);
}

function median(xs: number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  const n = s.length;
  return n % 2 === 1 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
}

// ---- the timing proxy ----------------------------------------------------------------------

interface KernelStat {
  calls: number;
  seconds: number;
  flops: number;
}

type GemmShapeStat = KernelStat & { transA: boolean; transB: boolean; M: number; N: number; K: number; batch: number };

/** Wraps every method of the active kernel table with a timer; returns the stats and an uninstall. */
function installTimingProxy(k: Kernels): { stats: Map<string, KernelStat>; gemmShapes: Map<string, GemmShapeStat>; uninstall: () => void } {
  const stats = new Map<string, KernelStat>();
  const gemmShapes = new Map<string, GemmShapeStat>();
  const table = k as unknown as Record<string, unknown>;
  const originals = new Map<string, unknown>();
  for (const name of Object.keys(table)) {
    const f = table[name];
    if (typeof f !== 'function') continue;
    originals.set(name, f);
    const st: KernelStat = { calls: 0, seconds: 0, flops: 0 };
    stats.set(name, st);
    table[name] = (...args: unknown[]): unknown => {
      const t0 = performance.now();
      const r = (f as (...x: unknown[]) => unknown).apply(k, args);
      const dt = (performance.now() - t0) / 1000;
      st.calls++;
      st.seconds += dt;
      if (name === 'gemm' || name === 'gemmBf16' || name === 'gemmBatched') {
        const off = name === 'gemmBatched' ? 1 : 0;
        const batch = name === 'gemmBatched' ? (args[0] as number) : 1;
        const [tA, tB, M, N, K] = args.slice(off, off + 5) as [boolean, boolean, number, number, number];
        const flops = 2 * M * N * K * batch;
        st.flops += flops;
        const key = `${name === 'gemmBf16' ? 'bf16 ' : name === 'gemm' ? '' : `${batch}x `}${tA ? 'T' : 'N'}${tB ? 'T' : 'N'} ${M}x${N}x${K}`;
        let g = gemmShapes.get(key);
        if (g === undefined) gemmShapes.set(key, (g = { calls: 0, seconds: 0, flops: 0, transA: tA, transB: tB, M, N, K, batch }));
        g.calls++;
        g.seconds += dt;
        g.flops += flops;
      }
      return r;
    };
  }
  return {
    stats,
    gemmShapes,
    uninstall: () => {
      for (const [n, f] of originals) table[n] = f;
    },
  };
}

// ---- scenario d: the pretraining step -------------------------------------------------------

interface Setup {
  model: AdapterModel;
  trainable: ReturnType<AdapterModel['parameters']>;
  step: () => void;
  B: number;
  T: number;
  extra: Record<string, unknown>;
}

/** The MLM batch of scenario d (same on both sides; torch_peer.py mlm_batch): token ids in
 * [5, V) (above the special tokens), each position labelled with probability `p` (hash of
 * position 2i+1 below p * 2^32; label = its token, input = [MASK] id 4), -100 elsewhere. */
export function mlmBatch(B: number, T: number, V: number, p: number, seed = 2024): { inputIds: Int32Array; labels: Int32Array; labelled: number } {
  const inputIds = new Int32Array(B * T);
  const labels = new Int32Array(B * T).fill(-100);
  let labelled = 0;
  for (let i = 0; i < B * T; i++) {
    const tok = 5 + (hash32(seed, 2 * i) % (V - 5));
    inputIds[i] = tok;
    if (hash32(seed, 2 * i + 1) < p * 4294967296) {
      labels[i] = tok;
      inputIds[i] = 4;
      labelled++;
    }
  }
  return { inputIds, labels, labelled };
}

/** Pretraining's defaults (src/pretrain/options.ts) for what the step depends on. */
const PRETRAIN = { lr: 5e-4, warmupSteps: 500, totalSteps: 10000, weightDecay: 0.01, clip: 1.0, mlmProbability: 0.15, seed: 42 } as const;

function setupPretrainStep(args: Args): Setup {
  const hf = JSON.parse(readFileSync(args.modelConfig, 'utf8')) as BertFamilyConfig;
  const config: BertFamilyConfig = { ...hf, hidden_dropout_prob: args.dropout, attention_probs_dropout_prob: args.dropout };
  const B = args.batch ?? 32;
  const T = args.seq;
  if (T > config.max_position_embeddings) throw new Error(`adaptext-side: --seq ${T} exceeds max_position_embeddings ${config.max_position_embeddings}`);
  // as pretraining from scratch builds it: the library's init, a tied masked_lm head as main head
  const model = new AdapterModel(config, { seed: PRETRAIN.seed });
  const head = 'mlm';
  model.addHead(head, { type: 'masked_lm', ...(args.mlmDecoder === 'full' ? { sparseLogits: false } : {}) }, { main: true });
  model.setMainHead(head);
  model.setActiveHeads([head]);
  const params = model.parameters().filter((p) => p.requiresGrad);
  const opt = new AdamW([{ name: 'all', params, lr: PRETRAIN.lr, weightDecay: PRETRAIN.weightDecay, noDecayOnBiasAndNorm: true }], {
    betas: [0.9, 0.98],
    eps: 1e-6,
    schedule: linearWarmupDecaySchedule(PRETRAIN.warmupSteps, PRETRAIN.totalSteps),
  });
  const batch = mlmBatch(B, T, config.vocab_size, PRETRAIN.mlmProbability);
  model.train(true);
  let lastLoss = NaN;
  let lastGradNorm = NaN;
  // the body of pretraining's step (gradAccum 1): forward with labels, finite check, backward, update
  const step = (): void => {
    const outp = model.forward({ inputIds: batch.inputIds, shape: [B, T] }, { heads: [head], labels: { [head]: batch.labels } });
    const loss = outp.loss!;
    if (!Number.isFinite(loss.data[0]!)) throw new Error(`adaptext-side: loss is ${loss.data[0]}`);
    loss.backward();
    const u = optimizerUpdate(opt, params, PRETRAIN.clip, loss.data[0]!, 'adaptext-side: diverged');
    lastLoss = loss.data[0]!;
    lastGradNorm = u.gradNorm;
  };
  return {
    model,
    trainable: params,
    step,
    B,
    T,
    extra: {
      modelConfig: args.modelConfig,
      mlmDecoder: args.mlmDecoder,
      labelledPositions: batch.labelled,
      tokensPerStep: B * T,
      get lastLoss() {
        return lastLoss;
      },
      get lastGradNorm() {
        return lastGradNorm;
      },
      recipe: { ...PRETRAIN, betas: [0.9, 0.98], eps: 1e-6, noDecayOnBiasAndNorm: true },
    },
  };
}

// ---- main -----------------------------------------------------------------------------------

/** Lets queued callbacks run (PerformanceObserver delivers GC entries asynchronously). */
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Scenarios a, b, c: BERT-base-shaped classifier. */
function setupClassifierStep(args: Args): Setup {
  const B = args.batch ?? (args.scenario === 'c' ? 32 : 8);
  const T = args.seq;
  const config: BertFamilyConfig = {
    model_type: 'bert',
    vocab_size: args.vocab,
    hidden_size: args.hidden,
    num_hidden_layers: args.layers,
    num_attention_heads: args.heads,
    intermediate_size: args.intermediate,
    max_position_embeddings: 512,
    type_vocab_size: 2,
    hidden_dropout_prob: args.dropout,
    attention_probs_dropout_prob: args.dropout,
    pad_token_id: 0,
  };
  const model = new AdapterModel(config, { seed: 1, skipInit: true });
  model.addHead('cls', { type: 'sequence_classification', numLabels: 2 });
  if (args.scenario === 'b') {
    model.addAdapter('target', { base: 'seq_bn', reduction_factor: args.reduction, leave_out: Array.from({ length: args.frozenLayers }, (_, i) => i) }, { setActive: true });
  }
  fastRandomInit(model, 0.02);
  if (args.scenario === 'b') model.trainOnly({ adapters: ['target'], heads: ['cls'] });

  // inputs: full-length sequences (no padding), random ids, random binary labels
  let s = 12345;
  const rnd = (n: number): number => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s % n;
  };
  const inputIds = Int32Array.from({ length: B * T }, () => 1 + rnd(args.vocab - 1)); // [B,T]
  const attentionMask = new Float32Array(B * T).fill(1); // [B,T]
  const tokenTypeIds = new Int32Array(B * T); // [B,T]
  const labels = Int32Array.from({ length: B }, () => rnd(2)); // [B]
  const input = { inputIds, shape: [B, T] as const, attentionMask, tokenTypeIds };

  const trainable = model.parameters().filter((p) => p.requiresGrad);
  let step: () => void;
  if (args.scenario === 'c') {
    model.eval();
    step = () => {
      // as predict() runs a batch: activations go back to the pool when the call returns
      inferenceMode(() => model.forward(input, { heads: ['cls'] }));
    };
  } else {
    model.train();
    const opt = new AdamW([{ name: 'trainable', params: trainable, lr: 1e-5 }], { weightDecay: 0.01 });
    const zero =
      args.zeroGrad === 'drop'
        ? () => model.zeroGrad()
        : () => {
            for (const p of trainable) p.grad?.fill(0);
          };
    step = () => {
      zero();
      const out = model.forward(input, { heads: ['cls'], labels: { cls: labels } });
      out.loss!.backward();
      opt.step();
    };
  }
  return { model, trainable, step, B, T, extra: {} };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  setMatmulPrecision(args.precision); // this process measures one precision
  const tSetup = performance.now();
  const {
    model,
    trainable,
    step: rawStep,
    B,
    T,
    extra,
  } = args.scenario === 'd' ? setupPretrainStep(args) : args.scenario === 'e' ? setupStage3Step(ROOT, { batch: args.batch, seq: args.seq, dropout: args.dropout }) : setupClassifierStep(args);
  const setupSeconds = (performance.now() - tSetup) / 1000;
  // every step in a scratch scope, as the training loop (src/engine/loop.ts) and predict run theirs
  const step = (): void => withScratch(rawStep);

  let gcSeconds = 0;
  let gcCount = 0;
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gcSeconds += e.duration / 1000;
      gcCount++;
    }
  });
  obs.observe({ entryTypes: ['gc'] });

  for (let i = 0; i < args.warmup; i++) {
    step();
    await tick();
  }
  const gcBefore = gcSeconds;
  const faults0 = process.resourceUsage().minorPageFault;
  const times: number[] = [];
  for (let i = 0; i < args.iters; i++) {
    const t0 = performance.now();
    step();
    times.push((performance.now() - t0) / 1000);
    await tick();
  }
  const gcTimed = gcSeconds - gcBefore;
  // First touches of freshly mapped pages: each new Float32Array above glibc's mmap threshold.
  const faultsPerStep = (process.resourceUsage().minorPageFault - faults0) / Math.max(1, args.iters);
  const peakAfterTimed = vmHwmKB();

  // ---- breakdown: extra steps through the timing proxy
  const k = kernels();
  let breakdown: unknown = null;
  if (args.breakdownIters > 0) {
    const proxy = installTimingProxy(k);
    const gc0 = gcSeconds;
    const bt: number[] = [];
    for (let i = 0; i < args.breakdownIters; i++) {
      const t0 = performance.now();
      step();
      bt.push((performance.now() - t0) / 1000);
      await tick();
    }
    proxy.uninstall();
    const n = args.breakdownIters;
    const total = bt.reduce((x, y) => x + y, 0) / n;
    const kernelsPerStep: Record<string, { calls: number; seconds: number; gflops?: number }> = {};
    let kernelSum = 0;
    for (const [name, st] of proxy.stats) {
      if (st.calls === 0) continue;
      kernelsPerStep[name] = { calls: st.calls / n, seconds: st.seconds / n, ...(st.flops > 0 ? { gflops: st.flops / n / 1e9 } : {}) };
      kernelSum += st.seconds / n;
    }
    // raw BLAS at each fp32 GEMM shape used (C++ loop, no N-API): what the same shape could do
    const addon = loadNativeAddon();
    const shapes = [...proxy.gemmShapes.entries()].map(([key, g]) => ({ key, g })).sort((x, y) => y.g.seconds - x.g.seconds);
    const gemmShapes = shapes.map(({ key, g }) => {
      let rawGflops: number | null = null;
      if (addon !== null && k.name === 'native' && g.batch === 1 && !key.startsWith('bf16') && g.seconds / n > 0.002) {
        const iters = Math.max(2, Math.min(20, Math.round(0.15 / Math.max(g.seconds / g.calls, 1e-4))));
        const sec = addon.benchSgemm('blas', g.transA, g.transB, g.M, g.N, g.K, iters);
        if (sec > 0) rawGflops = (2 * g.M * g.N * g.K * iters) / sec / 1e9;
      }
      return {
        shape: key,
        callsPerStep: g.calls / n,
        secondsPerStep: g.seconds / n,
        gflopsPerStep: g.flops / n / 1e9,
        achievedGflops: g.flops / g.seconds / 1e9,
        rawBlasGflops: rawGflops,
      };
    });
    // the cores' multiply-add peak, to read the GEMMs' GFLOP/s against (one core; threads run one per core)
    const peak = (kind: 'fp32' | 'bf16') => {
      const g = addon?.benchPeak?.(kind, 0.3) ?? -1;
      return g > 0 ? g : null;
    };
    breakdown = {
      iters: n,
      threads: addon?.info().threads ?? 1,
      peakGflopsPerCore: { fp32: peak('fp32'), bf16: peak('bf16') },
      stepSeconds: total,
      kernelSeconds: kernelSum,
      otherSeconds: total - kernelSum,
      gcSeconds: (gcSeconds - gc0) / n,
      kernels: kernelsPerStep,
      gemmShapes,
    };
  }
  obs.disconnect();

  const info = loadNativeAddon()?.info() ?? null;
  process.stdout.write(
    JSON.stringify({
      side: 'adaptext',
      scenario: args.scenario,
      precision: args.precision,
      zeroGrad: args.scenario === 'd' || args.scenario === 'e' ? 'drop (optimizerUpdate)' : args.zeroGrad,
      dropout: args.dropout,
      backend: k.description,
      blas: info === null ? null : { blas: info.blas, config: info.blasConfig, threads: info.threads, gemm: info.gemm },
      batch: B,
      seq: T,
      trainableParams: trainable.reduce((x, p) => x + p.size, 0),
      totalParams: model.parameters().reduce((x, p) => x + p.size, 0),
      setupSeconds,
      times,
      median: median(times),
      gcSecondsPerStep: gcTimed / Math.max(1, args.iters),
      gcCount,
      minorFaultsPerStep: faultsPerStep,
      peakRssKB: peakAfterTimed,
      // all threads, whole process (the driver's load accounting)
      cpuSeconds: (process.cpuUsage().user + process.cpuUsage().system) / 1e6,
      breakdown,
      ...extra,
    }) + '\n',
  );
}

await main();
