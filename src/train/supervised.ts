// Supervised stage hooks: one domain, one adapter, one task head — stage 1 (source warm-up),
// stage 3 (few-shot target) and the few-shot-only ablation differ only in the data, the adapter
// and which parameters train (set before the optimizer is built, see setup.ts).
import { collate, planBatches, type EncodedExample } from '../data/index.js';
import type { AdapterModel } from '../models/index.js';
import { Rng } from '../tensor/index.js';
import type { Metrics } from '../eval/types.js';
import type { TaskConfig } from './config.js';
import type { Role } from './data.js';
import { batchInput, evaluateTask, taskLabels } from './evaluate.js';
import type { ProgressSink } from '../engine/progress.js';
import type { RunFolder, StageName } from './run-folder.js';
import { deriveSeed } from '../engine/seeds.js';
import type { StageHooks } from './trainer.js';

export interface SupervisedArgs {
  stage: StageName;
  run: RunFolder;
  model: AdapterModel;
  adapter: string;
  head: string;
  task: TaskConfig;
  role: Role;
  train: readonly EncodedExample[];
  validation: readonly EncodedExample[];
  batchSize: number;
  evalBatchSize: number;
  padId: number;
  seed: number;
  metric: 'macro_f1' | 'accuracy';
  progress: ProgressSink;
}

export function metricValue(m: Metrics, which: 'macro_f1' | 'accuracy'): number {
  return which === 'accuracy' ? m.accuracy : m.macroF1;
}

export function batchesPerEpoch(n: number, batchSize: number): number {
  return Math.ceil(n / batchSize);
}

export function supervisedHooks(a: SupervisedArgs): StageHooks {
  if (a.train.length === 0) throw new Error(`${a.stage}: no labelled ${a.role} training examples`);
  const lengths = a.train.map((e) => e.ids.length);
  let plan: number[][] = [];
  return {
    planEpoch(epoch) {
      plan = planBatches(lengths, { batchSize: a.batchSize, shuffle: true, rng: new Rng(deriveSeed(a.seed, a.stage, 'epoch', epoch)) });
      return plan.length;
    },
    step(b) {
      const batch = collate(
        plan[b]!.map((i) => a.train[i]!),
        a.padId,
      );
      a.model.setActiveAdapter(a.adapter);
      const out = a.model.forward(batchInput(batch), { heads: [a.head], labels: { [a.head]: taskLabels(a.task, batch) } });
      const loss = out.loss!;
      const value = loss.data[0]!;
      loss.backward();
      return { loss: value, lossTask: value };
    },
    validate(step) {
      if (a.validation.length === 0) return null;
      const metrics = evaluateTask(a.model, a.validation, { adapter: a.adapter, head: a.head, task: a.task, batchSize: a.evalBatchSize, padId: a.padId });
      a.run.log({ type: 'eval', stage: a.stage, split: 'validation', domain: a.role, step, metrics });
      a.progress.note(`${a.stage}: step ${step} ${a.role} validation accuracy ${(metrics.accuracy * 100).toFixed(1)}% macro-F1 ${(metrics.macroF1 * 100).toFixed(1)}%`);
      return metricValue(metrics, a.metric);
    },
  };
}
