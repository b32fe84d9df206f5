// Public API of the transfer pipeline (what `adaptext train / eval / predict / vocab` use).
export { PipelineSchema, loadPipelineConfig, validateConfig, parseSetFlag, stageLrs, resolveModelDependent, LR_DEFAULTS } from './config.js';
export type { PipelineConfig, DomainConfig, ReaderConfig, TaskConfig, StageCommon, Stage2Config, Stage3Config, LrConfig, Override } from './config.js';
export { trainPipeline, resumePipeline, fingerprintOf } from './pipeline.js';
export type { PipelineOptions, PipelineResult } from './pipeline.js';
export { openForInference, evaluateFile, predictFile, predictTexts, finalStageDir } from './inference.js';
export type { InferenceModel, PredictionRecord, SequencePrediction, TokenPrediction } from './inference.js';
export { extendModelVocabulary, checkVocabExpansion } from './vocab.js';
export type { VocabInfo } from './vocab.js';
export { InterruptedError } from './trainer.js';
export { saveCheckpoint, loadCheckpoint, readTrainerState } from './checkpoint.js';
export type { TrainerState } from './checkpoint.js';
export { RunFolder } from './run-folder.js';
