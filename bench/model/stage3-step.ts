// Scenario e of `npm run bench:model`: one stage-3 step (few-shot target tuning) on the bundled
// backbone, through the calls the pipeline makes (src/train/pipeline.ts fewShotBuild,
// supervised.ts step, trainer.ts optimizerUpdate). The PyTorch peer is torch_stage3.py.
//
// Model: models/adaptext-mini-en as loaded by `adaptext train` (its F16 weights, L4 H256),
// a seq_bn target adapter (reduction 16) in the layers above the default freeze_layers
// floor(L/2) (adapters.leave_out: null = the frozen layers), a 2-label sequence_classification
// head with the pooling the pipeline picks for this checkpoint (masked mean: its pooler was never
// trained), trainOnly(target adapter, head): the embeddings and every backbone weight frozen.
// Optimizer as buildOptimizer with the pipeline defaults: AdamW groups adapters lr 5e-4 / heads
// 2e-5, weight decay 0.01 except biases/LayerNorm, betas 0.9/0.999, eps 1e-8, warm-up 10% of
// stage 3's steps (10 epochs of 500 shots / batch 16 = 320), global grad-norm clip 1.0.
// Batch: stage 3's batch_size 16 x 128 (max_length) full-length rows, ids in [5, V) and labels
// from hash32 (the same on both sides), dropout 0.1 (the checkpoint's).
import { join } from 'node:path';
import { loadModel } from '../../src/models/index.js';
import { optimizerUpdate } from '../../src/optim/index.js';
import { buildOptimizer } from '../../src/train/setup.js';
import { LR_DEFAULTS } from '../../src/train/config.js';
import type { AdapterModel } from '../../src/models/index.js';
import type { Tensor } from '../../src/tensor/index.js';
import { hash32 } from './hash.js';

export const STAGE3 = {
  batch: 16,
  seq: 128,
  reduction: 16,
  weightDecay: 0.01,
  betas: [0.9, 0.999] as const,
  eps: 1e-8,
  warmupRatio: 0.1,
  totalSteps: 320,
  clip: 1.0,
  seed: 42,
  dataSeed: 3003,
} as const;

/** Stage 3's batch (torch_stage3.py stage3_batch): ids in [5, V) from hash32(seed, i), label i = hash32(seed, B*T + i) & 1. */
export function stage3Batch(B: number, T: number, V: number, seed: number = STAGE3.dataSeed): { inputIds: Int32Array; labels: Int32Array } {
  const inputIds = new Int32Array(B * T); // [B,T]
  for (let i = 0; i < B * T; i++) inputIds[i] = 5 + (hash32(seed, i) % (V - 5));
  const labels = Int32Array.from({ length: B }, (_, i) => hash32(seed, B * T + i) & 1); // [B]
  return { inputIds, labels };
}

export interface Stage3Setup {
  model: AdapterModel;
  trainable: Tensor[];
  step: () => void;
  B: number;
  T: number;
  extra: Record<string, unknown>;
}

export function setupStage3Step(root: string, opts: { batch: number | null; seq: number; dropout: number }): Stage3Setup {
  const dir = join(root, 'models', 'adaptext-mini-en');
  const { model } = loadModel(dir, { seed: STAGE3.seed });
  const cfg = model.cfg;
  const L = cfg.numLayers;
  const B = opts.batch ?? STAGE3.batch;
  const T = opts.seq;
  if (T > cfg.maxPositions) throw new Error(`stage3-step: --seq ${T} exceeds the bundled model's max_position_embeddings ${cfg.maxPositions}`);
  // the checkpoint's dropout is what stage 3 trains with; the torch peer uses the same value
  if (opts.dropout !== cfg.hiddenDropout || opts.dropout !== cfg.attentionDropout) {
    throw new Error(`stage3-step: scenario e trains with the bundled model's dropout (${cfg.hiddenDropout}/${cfg.attentionDropout}); --dropout ${opts.dropout} is not supported`);
  }
  const frozenLayers = Math.floor(L / 2);
  model.addAdapter('target', { base: 'seq_bn', reduction_factor: STAGE3.reduction, leave_out: Array.from({ length: frozenLayers }, (_, i) => i) }, { setActive: true });
  const pooling = model.poolerTrained ? 'pooler' : 'mean';
  model.addHead('sentiment', { type: 'sequence_classification', numLabels: 2, labels: ['negative', 'positive'], pooling }, { setActive: false });
  model.trainOnly({ adapters: ['target'], heads: ['sentiment'] });
  const lrs = { adapters: LR_DEFAULTS.adapters, heads: LR_DEFAULTS.heads, backbone: LR_DEFAULTS.backbone, embeddings: LR_DEFAULTS.backbone, discriminator: LR_DEFAULTS.adapters };
  const opt = buildOptimizer(model, lrs, { totalSteps: STAGE3.totalSteps, warmupRatio: STAGE3.warmupRatio, weightDecay: STAGE3.weightDecay, betas: STAGE3.betas, eps: STAGE3.eps });
  const params = opt.params(); // trainer.ts: optimizer.params()
  const { inputIds, labels } = stage3Batch(B, T, cfg.vocabSize);
  const input = { inputIds, shape: [B, T] as const, attentionMask: new Float32Array(B * T).fill(1), tokenTypeIds: new Int32Array(B * T) };
  model.train(true);
  let lastLoss = NaN;
  let lastGradNorm = NaN;
  const step = (): void => {
    model.setActiveAdapter('target');
    const loss = model.forward(input, { heads: ['sentiment'], labels: { sentiment: labels } }).loss!;
    loss.backward();
    const u = optimizerUpdate(opt, params, STAGE3.clip, loss.data[0]!, 'stage3-step: diverged');
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
      modelDir: dir,
      frozenLayers,
      pooling,
      tokensPerStep: B * T,
      /** sum of the ids and of the labels: run.ts checks both sides drew the same batch */
      batchChecksum: [inputIds.reduce((x, y) => x + y, 0), labels.reduce((x, y) => x + y, 0)],
      get lastLoss() {
        return lastLoss;
      },
      get lastGradNorm() {
        return lastGradNorm;
      },
      recipe: { ...STAGE3, lrs },
    },
  };
}
