// Inference over encoded examples (eval mode, no graph): task predictions → metrics, pooled
// features → domain confusion and the 2-D projection. Batches are planned by length (no
// shuffling) and results are put back in input order.
//
// Shape legend: B batch rows, T padded length, H hidden, L labels.
import { collate, planBatches, type Batch, type EncodedExample } from '../data/index.js';
import type { BertInput } from '../models/bert.js';
import type { AdapterModel, Pooling } from '../models/index.js';
import { IGNORE_INDEX, inferenceMode, noGrad, type Tensor } from '../tensor/index.js';
import { classificationMetrics, tokenClassificationMetrics } from '../eval/metrics.js';
import type { Metrics } from '../eval/types.js';
import type { TaskConfig } from './config.js';

export type FeatureKind = 'pooled' | 'cls' | 'mean';

export function batchInput(b: Batch): BertInput {
  return { inputIds: b.inputIds, shape: [b.B, b.T], attentionMask: b.attentionMask, tokenTypeIds: b.tokenTypeIds };
}

/** Labels a task head expects for a batch: [B] class ids, or [B*T] token labels. */
export function taskLabels(task: TaskConfig, b: Batch): Int32Array {
  return task.type === 'token_classification' ? b.tokenLabels : b.labels;
}

function evalMode<T>(model: AdapterModel, adapter: string | null, fn: () => T): T {
  const wasTraining = model.training;
  const prevAdapter = model.activeAdapter;
  model.eval();
  model.setActiveAdapter(adapter);
  try {
    return noGrad(fn);
  } finally {
    model.setActiveAdapter(prevAdapter);
    model.train(wasTraining);
  }
}

export interface Predictions {
  /** Per example: [L] probabilities (sequence) or [T_i][L] per token (token classification). */
  probs: Float32Array[];
  /** Per example: predicted class id, or per-token predicted ids. */
  pred: Int32Array[];
}

function softmaxRow(src: Float32Array, off: number, L: number): Float32Array {
  const out = new Float32Array(L);
  let m = -Infinity;
  for (let j = 0; j < L; j++) m = Math.max(m, src[off + j]!);
  let s = 0;
  for (let j = 0; j < L; j++) {
    const e = Math.exp(src[off + j]! - m);
    out[j] = e;
    s += e;
  }
  for (let j = 0; j < L; j++) out[j]! /= s;
  return out;
}

function argmax(p: Float32Array): number {
  let best = 0;
  for (let j = 1; j < p.length; j++) if (p[j]! > p[best]!) best = j;
  return best;
}

/** Run the task head over `examples` with `adapter` active; probabilities in input order. */
export function predict(
  model: AdapterModel,
  examples: readonly EncodedExample[],
  opts: { adapter: string | null; head: string; task: TaskConfig; batchSize: number; padId: number; domain?: string | null; onBatch?: (rowsDone: number) => void },
): Predictions {
  const L = opts.task.labels.length;
  const probs: Float32Array[] = new Array(examples.length);
  const pred: Int32Array[] = new Array(examples.length);
  evalMode(model, opts.adapter, () => {
    const plan = planBatches(
      examples.map((e) => e.ids.length),
      { batchSize: opts.batchSize, shuffle: false },
    );
    let rowsDone = 0;
    for (const idx of plan) {
      const b = collate(
        idx.map((i) => examples[i]!),
        opts.padId,
      );
      // one batch per inference scope: its activations are dead once the rows are copied out
      inferenceMode(() => {
        const out = model.forward(batchInput(b), { heads: [opts.head], ...(opts.domain !== undefined ? { domain: opts.domain } : {}) });
        const logits = out.heads[opts.head]!.logits.data; // [B,L] or [B,T,L]
        idx.forEach((ex, r) => {
          if (opts.task.type === 'token_classification') {
            const n = examples[ex]!.ids.length;
            const rows = new Float32Array(n * L);
            const p = new Int32Array(n);
            for (let t = 0; t < n; t++) {
              const row = softmaxRow(logits, (r * b.T + t) * L, L);
              rows.set(row, t * L);
              p[t] = argmax(row);
            }
            probs[ex] = rows;
            pred[ex] = p;
          } else {
            const row = softmaxRow(logits, r * L, L);
            probs[ex] = row;
            pred[ex] = Int32Array.of(argmax(row));
          }
        });
      });
      rowsDone += idx.length;
      opts.onBatch?.(rowsDone);
    }
  });
  return { probs, pred };
}

/** Metrics of predictions against the examples' labels (token level for token classification). */
export function scorePredictions(examples: readonly EncodedExample[], p: Predictions, task: TaskConfig): Metrics {
  if (task.type === 'token_classification') {
    return tokenClassificationMetrics(
      examples.map((e) => e.tokenLabels ?? new Int32Array(e.ids.length).fill(IGNORE_INDEX)),
      p.pred,
      [...task.labels],
    );
  }
  return classificationMetrics(
    examples.map((e) => e.label),
    p.pred.map((x) => x[0]!),
    [...task.labels],
  );
}

/** `domain`: whose centre the head subtracts (default: the adapter's domain; see ForwardOptions.domain). */
export function evaluateTask(
  model: AdapterModel,
  examples: readonly EncodedExample[],
  opts: { adapter: string | null; head: string; task: TaskConfig; batchSize: number; padId: number; domain?: string | null },
): Metrics {
  if (examples.length === 0) throw new Error('evaluate: no examples');
  return scorePredictions(examples, predict(model, examples, opts), opts.task);
}

/**
 * The pooled vectors the heads read, in input order: minus the centre of `domain` (default: the
 * adapter's domain, as in forward) when it has one; `domain: null` gives the raw vectors.
 */
export function poolFeatures(
  model: AdapterModel,
  examples: readonly EncodedExample[],
  opts: { adapter: string | null; features: FeatureKind; batchSize: number; padId: number; domain?: string | null },
): Float32Array[] {
  const H = model.cfg.hiddenSize;
  const domain = opts.domain !== undefined ? opts.domain : opts.adapter;
  const out: Float32Array[] = new Array(examples.length);
  evalMode(model, opts.adapter, () => {
    const plan = planBatches(
      examples.map((e) => e.ids.length),
      { batchSize: opts.batchSize, shuffle: false },
    );
    for (const idx of plan) {
      const b = collate(
        idx.map((i) => examples[i]!),
        opts.padId,
      );
      inferenceMode(() => {
        const f = features(model, batchInput(b), opts.features, domain); // [B,H]
        idx.forEach((ex, r) => (out[ex] = f.data.slice(r * H, (r + 1) * H))); // copies: f's buffer goes back to the pool
      });
    }
  });
  return out;
}

/** The discriminator's view of a batch: pooler output, h[:,0] or the masked mean (minus `domain`'s centre). */
export function features(model: AdapterModel, input: BertInput, kind: FeatureKind, domain: string | null = null): Tensor {
  const pooling: Pooling = kind === 'pooled' ? 'pooler' : kind;
  return model.encode(input, pooling, domain ?? undefined);
}
