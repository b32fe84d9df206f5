// Stage 2 — unsupervised alignment on mixed batches (default 70% source / 30% target, every
// batch holding both domains; src/data MixedDomainSampler).
//
// One optimizer step = up to three forward/backward passes over one mixed batch, split by
// domain (exactly one adapter active per pass). Target rows run through the target
// adapter; source rows through `source.adapter`, which is the target adapter by default
// (stage2.source_adapter = target: the adapter being aligned sees both domains, as in
// single-adapter DANN) or the source domain's own adapter (= own). With two adapters, MLM on the
// target adapter alone moves it away from the source adapter by an offset the discriminator and
// a held-out domain classifier pick up, which the reversed gradient does not undo (the measurement:
// src/train/README.md, "Adapters per domain").
//   1. source rows, source.adapter:  task loss (source head, source labels)
//                                     + discriminator (label 0) through the GRL
//   2. target rows, target adapter:  discriminator (label 1) through the GRL
//                                     [+ target task loss on labelled target rows, multi-task]
//   3. target rows MASKED, target adapter: masked-LM loss (15%, 80/10/10)
// Pass 3 is separate from pass 2 so the discriminator never sees [MASK] tokens: they occur
// only in target rows and would hand it a trivial domain cue (and the encoder a reason to
// hide [MASK], not the domain). Gradients of the passes add up before one clip + AdamW step.
//
// Loss = w.task·L_task + w.domain·L_domain + w.mlm·L_mlm + w.target_task·L_target_task
//        [+ λ·w.mmd·‖mean(f_source) − mean(f_target)‖², the batch's features of passes 1 and 2], with
// L_domain = (CE_source + CE_target) / 2: domain-balanced, so the 70/30 mix does not make the
// discriminator's job "always say source". λ follows the Ganin schedule over the stage's progress
// (lambda.ts) and weighs the encoder's adversarial term: the reversed gradient (stage2.adversary
// = grl) or the confusion loss towards a uniform discriminator output (= confusion; then
// L_domain trains only the discriminator). Discriminator accuracy on the batch is logged.
import { collate, MlmMasker, MixedDomainSampler, type EncodedExample, type MixedBatchPlan } from '../data/index.js';
import type { Tokenizer } from '../text/index.js';
import { IGNORE_INDEX, Rng, add, matmul, mul, scale, sub, sum, Tensor } from '../tensor/index.js';
import { poolSequence, type AdapterModel, type HeadResult, type ModelOutput } from '../models/index.js';
import type { Stage2Config, TaskConfig } from './config.js';
import { batchInput, evaluateTask, taskLabels } from './evaluate.js';
import { grlLambda, progressOf } from '../optim/lambda.js';
import type { ProgressSink } from '../engine/progress.js';
import type { RunFolder } from './run-folder.js';
import { deriveSeed } from '../engine/seeds.js';
import { metricValue } from './supervised.js';
import type { StageHooks, StepOutput } from './trainer.js';

export interface AlignmentArgs {
  run: RunFolder;
  model: AdapterModel;
  tokenizer: Tokenizer;
  stage2: Stage2Config;
  /** `domain`: whose centre (if any) the heads subtract from the source rows' features. */
  source: { domain: string; adapter: string; head: string; task: TaskConfig; train: readonly EncodedExample[]; validation: readonly EncodedExample[] };
  /** Target stream: unlabelled rows (+ labelled few-shot rows when the target task loss is on). */
  target: { domain: string; adapter: string; head: string | null; task: TaskConfig; stream: readonly EncodedExample[] };
  mlmHead: string;
  discriminator: string;
  /** Called at each epoch end (first thing in validate, so before the checkpoint): stage2.centre_features re-centres the domains. */
  endEpoch?: () => void;
  /** The features the discriminator reads (the MMD term compares them too). */
  features: 'pooled' | 'cls' | 'mean';
  totalSteps: number;
  evalBatchSize: number;
  padId: number;
  seed: number;
  progress: ProgressSink;
}

/** Batches per epoch of stage 2 (an epoch = one pass over the labelled source set). */
export function alignmentBatchesPerEpoch(sourceSize: number, targetSize: number, s2: Stage2Config): number {
  return new MixedDomainSampler(sourceSize, targetSize, { batchSize: s2.batch_size, sourceRatio: s2.source_ratio, rng: new Rng(0) }).batchesPerEpoch;
}

function hasLabel(a: Int32Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== IGNORE_INDEX) return true;
  return false;
}

/** The discriminator's cross-entropy on the true domains (with adversary 'confusion' the head's loss also holds the encoder's confusion term). */
function domainLoss(r: HeadResult): number {
  return r.parts?.['domain'] ?? r.loss!.data[0]!;
}

/** The [B,H] features of a forward pass, as the discriminator reads them (the heads' own pooling). */
function featuresOf(o: ModelOutput, kind: 'pooled' | 'cls' | 'mean'): Tensor {
  return poolSequence({ sequenceOutput: o.lastHiddenState, pooledOutput: o.pooledOutput, attentionMask: o.attentionMask, centre: o.centre }, kind === 'pooled' ? 'pooler' : kind);
}

/** Mean over the rows of [B,H] → [1,H]. */
function rowMean(f: Tensor): Tensor {
  const B = f.shape[0]!;
  return matmul(new Tensor(new Float32Array(B).fill(1 / B), [1, B]), f);
}

/** Linear-kernel MMD²: ‖mean(fs) − mean(ft)‖² (a scalar). */
export function linearMmd(fs: Tensor, ft: Tensor): Tensor {
  const d = sub(rowMean(fs), rowMean(ft));
  return sum(mul(d, d));
}

function argmaxCount(logits: Float32Array, rows: number, want: number): number {
  let ok = 0;
  for (let r = 0; r < rows; r++) {
    const pred = logits[r * 2 + 1]! > logits[r * 2]! ? 1 : 0;
    if (pred === want) ok++;
  }
  return ok;
}

export function alignmentHooks(a: AlignmentArgs): StageHooks {
  const s2 = a.stage2;
  const w = s2.loss_weights;
  const { source, target, model } = a;
  if (source.train.length === 0) throw new Error('stage2: no labelled source training examples');
  if (target.stream.length === 0) throw new Error('stage2: no target text (unlabelled file or target train)');
  if (s2.batch_size < 2) throw new Error(`stage2.batch_size: a mixed batch needs at least 2 rows (one per domain), got ${s2.batch_size}`);
  const sampler = new MixedDomainSampler(source.train.length, target.stream.length, {
    batchSize: s2.batch_size,
    sourceRatio: s2.source_ratio,
    rng: new Rng(deriveSeed(a.seed, 'stage2', 'sampler')),
    sourceLengths: source.train.map((e) => e.ids.length),
    targetLengths: target.stream.map((e) => e.ids.length),
  });
  let mlmRng = new Rng(deriveSeed(a.seed, 'stage2', 'mlm'));
  const masker = MlmMasker.fromTokenizer(a.tokenizer, { probability: s2.mlm_probability, wholeWordMask: s2.whole_word_mask });
  let plan: MixedBatchPlan[] = [];
  const disc = a.discriminator;

  return {
    planEpoch(_epoch, samplerState) {
      if (samplerState !== undefined) sampler.setState(samplerState);
      plan = sampler.epoch();
      return plan.length;
    },
    samplerState: () => sampler.getState(),
    rngStates: () => ({ mlm: mlmRng.getState() }),
    restoreRngStates(s) {
      if (s.mlm !== undefined) {
        mlmRng = new Rng(0);
        mlmRng.setState(s.mlm);
      }
    },
    step(b, step): StepOutput {
      const p = plan[b]!;
      const lambda = grlLambda(progressOf(step, a.totalSteps), s2.lambda);
      const src = collate(
        p.source.map((i) => source.train[i]!),
        a.padId,
      );
      const tgt = collate(
        p.target.map((i) => target.stream[i]!),
        a.padId,
      );
      const out: StepOutput = { loss: 0, lambda };
      let discOk = 0;

      // 1. source rows through source.adapter (the target adapter unless stage2.source_adapter = own)
      model.setActiveAdapter(source.adapter);
      const heads1: string[] = [];
      const labels1: Record<string, Int32Array> = {};
      if (w.task > 0) {
        heads1.push(source.head);
        labels1[source.head] = taskLabels(source.task, src);
      }
      if (w.domain > 0) {
        heads1.push(disc);
        labels1[disc] = new Int32Array(src.B); // domain 0 = source
      }
      let ceSource = 0;
      let o1Parts: Record<string, number> | undefined;
      // with the MMD term both passes' graphs stay alive until one backward over all three terms
      const mmdOn = w.mmd > 0;
      let pending: Tensor | null = null;
      let fSource: Tensor | null = null;
      if (heads1.length > 0 || mmdOn) {
        const o1 = model.forward(batchInput(src), { heads: heads1, labels: labels1, lossWeights: { [source.head]: w.task, [disc]: w.domain / 2 }, grlLambda: lambda, domain: source.domain });
        if (w.task > 0) out.lossTask = o1.heads[source.head]!.loss!.data[0]!;
        if (w.domain > 0) {
          ceSource = domainLoss(o1.heads[disc]!);
          o1Parts = o1.heads[disc]!.parts;
          discOk += argmaxCount(o1.heads[disc]!.logits.data, src.B, 0);
        }
        if (o1.loss !== null) {
          out.loss += o1.loss.data[0]!;
          if (mmdOn) pending = o1.loss;
          else o1.loss.backward();
        }
        if (mmdOn) fSource = featuresOf(o1, a.features);
      }

      // 2. target rows (clean) through the target adapter
      model.setActiveAdapter(target.adapter);
      const heads2: string[] = [];
      const labels2: Record<string, Int32Array> = {};
      if (w.domain > 0) {
        heads2.push(disc);
        labels2[disc] = new Int32Array(tgt.B).fill(1); // domain 1 = target
      }
      const tl = target.head !== null && w.target_task > 0 ? taskLabels(target.task, tgt) : null;
      if (tl !== null && hasLabel(tl)) {
        heads2.push(target.head!);
        labels2[target.head!] = tl;
      }
      if (heads2.length > 0 || mmdOn) {
        const weights: Record<string, number> = { [disc]: w.domain / 2 };
        if (target.head !== null) weights[target.head] = w.target_task;
        const o2 = model.forward(batchInput(tgt), { heads: heads2, labels: labels2, lossWeights: weights, grlLambda: lambda, domain: target.domain });
        if (w.domain > 0) {
          const ceTarget = domainLoss(o2.heads[disc]!);
          discOk += argmaxCount(o2.heads[disc]!.logits.data, tgt.B, 1);
          out.lossDomain = (ceSource + ceTarget) / 2;
          const cs = o1Parts?.['confusion'];
          const ct = o2.heads[disc]!.parts?.['confusion'];
          if (cs !== undefined && ct !== undefined) out.lossConfusion = (cs + ct) / 2;
          out.discAcc = discOk / (src.B + tgt.B);
        }
        let total: Tensor | null = o2.loss;
        if (total !== null) out.loss += total.data[0]!;
        if (mmdOn) {
          const mmd = linearMmd(fSource!, featuresOf(o2, a.features));
          out.lossMmd = mmd.data[0]!;
          out.loss += lambda * w.mmd * out.lossMmd;
          const weighted = scale(mmd, lambda * w.mmd);
          total = total === null ? weighted : add(total, weighted);
          if (pending !== null) total = add(pending, total);
        }
        total?.backward();
      }

      // 3. target rows, masked, through the target adapter: masked LM
      if (w.mlm > 0) {
        const masked = masker.mask(tgt, mlmRng);
        const o3 = model.forward(batchInput(masked), { heads: [a.mlmHead], labels: { [a.mlmHead]: masked.mlmLabels! }, lossWeights: { [a.mlmHead]: w.mlm } });
        out.lossMlm = o3.heads[a.mlmHead]!.loss!.data[0]!;
        out.loss += o3.loss!.data[0]!;
        o3.loss!.backward();
      }
      return out;
    },
    validate(step) {
      a.endEpoch?.();
      if (source.validation.length === 0) return null;
      const metrics = evaluateTask(model, source.validation, { adapter: source.adapter, domain: source.domain, head: source.head, task: source.task, batchSize: a.evalBatchSize, padId: a.padId });
      a.run.log({ type: 'eval', stage: 'stage2', split: 'validation', domain: 'source', step, metrics });
      a.progress.note(`stage2: step ${step} source validation accuracy ${(metrics.accuracy * 100).toFixed(1)}% macro-F1 ${(metrics.macroF1 * 100).toFixed(1)}%`);
      // Stage 2 keeps its final weights (alignment is not judged by source validation) unless
      // the user asked for early stopping on it.
      return s2.patience === null ? null : metricValue(metrics, s2.metric);
    },
  };
}
