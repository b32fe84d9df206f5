// Library API: `import { loadModel, AdapterModel, runPipeline, ... } from 'adaptext'`.
// One re-export per area, in dependency order (tensor core → model → pipeline → demo).
export * from './tensor/index.js';
export * from './nn/index.js';
export * from './io/index.js';
export * from './text/index.js';
export * from './models/index.js';
export * from './data/index.js';
export * from './optim/index.js';
export * from './eval/index.js';
export * from './baselines/index.js';
export * from './engine/index.js';
export * from './train/index.js';
export * from './pretrain/index.js';
export * from './demo/index.js';

// Names two areas both export: the pipeline's checkpoint state wins at the top level; the
// pretraining one stays reachable as `pretrain.*`. Tokenizer types come from src/text.
export type { Encoding, EncodeOptions, SpecialIds } from './text/index.js';
export { IGNORE_INDEX } from './tensor/index.js';
export { readTrainerState } from './train/index.js';
export type { TrainerState } from './train/index.js';
export * as pretrain from './pretrain/index.js';
