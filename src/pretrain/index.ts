// Masked-LM pretraining (`adaptext pretrain`): corpora, FULL-SENTENCES packing, the resumable trainer.
export { pretrain, heldoutLoss, scratchConfig } from './pretrain.js';
export { chooseAlphabetLimit, DEFAULT_ALPHABET_LIMIT, type AlphabetChoice } from './alphabet.js';
export { PretrainSchema, PRETRAIN_DEFAULTS, RESUME_OVERRIDABLE, resolvePretrainConfig, checkPretrainOptions, loadPretrainConfig, pretrainFlags } from './options.js';
export type { PretrainConfig, FieldFlag } from './options.js';
export { TrainBatches, heldoutBatches, makeBatch, epochPermutation, EVAL_SEED } from './batches.js';
export type { PretrainOptions } from './options.js';
export type { PretrainResult, PretrainHooks, EvalResult } from './pretrain.js';
export { expandInputs, readRecords, readText, isJsonLines } from './corpus.js';
export { buildStream, buildMarks, packStream, writeSequence, writeWordIds } from './packing.js';
export { tokeniseWithMarks, wordIdsFromMarks } from '../text/whole-words.js';
export type { PackedCorpus } from './packing.js';
export { loadStream, tokeniseRecord, vocabHash } from './data.js';
export { readPretrainState, savePretrainCheckpoint, checkpointDir, STATE_FORMAT, STATE_VERSION } from './state.js';
export type { PretrainState, DataPosition } from './state.js';
