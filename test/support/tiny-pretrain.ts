// Options of a one-step `pretrain` of a 1-layer, hidden-16 BERT: for tests that need a real run
// (vocabulary, run.json, the log) in well under a second of training.
import { PRETRAIN_DEFAULTS, type PretrainOptions } from '../../src/pretrain/index.js';

export function tinyPretrainOptions(out: string, over: Partial<PretrainOptions> & Pick<PretrainOptions, 'inputs' | 'vocabSize'>): PretrainOptions {
  return {
    ...PRETRAIN_DEFAULTS,
    out,
    layers: 1,
    hidden: 16,
    heads: 2,
    intermediate: 32,
    maxLength: 32,
    batchSize: 2,
    maxSteps: 1,
    totalSteps: 1,
    warmupSteps: 0,
    evalEvery: 0,
    checkpointMinutes: 0,
    progress: 'none',
    ...over,
  };
}
