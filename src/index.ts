// The library API: `import { loadModel, loadTokenizer, trainPipeline, ... } from 'adaptext'`.
// What a user of the method needs, grouped as the README's "Library" section lists it. The
// building blocks underneath (the tensor core and its ops, nn modules, optimizers, data batching,
// metrics, file formats, the pretraining data stream) are their own entry points —
// `adaptext/tensor`, `adaptext/nn`, `adaptext/optim`, `adaptext/data`, `adaptext/eval`,
// `adaptext/io`, `adaptext/text`, `adaptext/models`, `adaptext/pretrain` — so this list stays
// short enough to read.

// ---- models: BERT / RoBERTa with AdapterHub bottleneck adapters and switchable heads
export { AdapterModel, loadModel, saveModel, loadAdapter, saveAdapter, loadHead, saveHead, readModelConfig, SEQ_BN, DOUBLE_SEQ_BN } from './models/index.js';
export type {
  AdapterModelOptions,
  ForwardOptions,
  ModelOutput,
  Pooling,
  BnConfig,
  AdapterConfigSpec,
  HeadSpec,
  HeadType,
  HeadPooling,
  LoadInfo,
  SaveModelOptions,
  BertFamilyConfig,
} from './models/index.js';

// ---- tokenizers: Hugging Face-exact WordPiece and byte-level BPE; a WordPiece trainer
export { loadTokenizer, BertTokenizer, RobertaTokenizer, trainWordPiece } from './text/index.js';
export type { Tokenizer, TokenizerKind, Encoding, EncodeOptions, DecodeOptions, SpecialIds } from './text/index.js';

// ---- the tensor essentials a forward pass needs (the rest: `adaptext/tensor`)
export { Tensor, noGrad, inferenceMode, Rng, setBackend } from './tensor/index.js';

// ---- the three-stage pipeline (`adaptext train`), its config and its run folder
export { loadPipelineConfig, validateConfig, parseSetFlag, trainPipeline, resumePipeline, InterruptedError, RunFolder } from './train/index.js';
export type { PipelineConfig, Override, PipelineOptions, PipelineResult } from './train/index.js';

// ---- inference on a run or a model folder (`adaptext predict` / `eval`)
export { openForInference, predictFile, predictTexts, evaluateFile } from './train/index.js';
export type { InferenceModel, PredictionRecord, SequencePrediction, TokenPrediction } from './train/index.js';

// ---- deployment: the ONNX export folder (`adaptext export`) and the HTTP server (`adaptext serve`); the rest: `adaptext/deploy`
export { exportModel, startServer, serve, SERVE_DEFAULTS } from './deploy/index.js';
export type { ExportOptions, ExportResult, ServeOptions, RunningServer, ServerStats, ServedPrediction } from './deploy/index.js';

// ---- Hugging Face Hub model ids (the shared cache, downloads, offline use)
export { downloadModel, resolveModelRef, parseModelId } from './hub/index.js';
export type { DownloadedModel, HubOptions, ModelId } from './hub/index.js';

// ---- model-folder tasks (`adaptext inspect` / `encode` / `vocab extend`)
export { openModelFolder, inspectModel, encodeFile, vocabExtend } from './tasks/index.js';
export type { OpenedModel, InspectReport, EncodeFileOptions, EncodeFileResult, VocabExtendOptions } from './tasks/index.js';

// ---- masked-LM pretraining (`adaptext pretrain`)
export { pretrain, PRETRAIN_DEFAULTS } from './pretrain/index.js';
export type { PretrainOptions, PretrainResult, PretrainHooks } from './pretrain/index.js';

// ---- the demo on bundled data (`adaptext demo`)
export { runDemo } from './demo/index.js';
export type { DemoOptions, DemoResult } from './demo/index.js';

// ---- results: metrics, the HTML report, the baselines
export { classificationMetrics, renderReport, writeReport, readRunFolder } from './eval/index.js';
export type { Metrics, RunMetrics, StageMetrics, DomainConfusion } from './eval/index.js';
export { trainTfidfClassifier, trainBowDann } from './baselines/index.js';

// ---- what long runs share: progress display, signal policy, run log
export { CliProgress, StopRequest, StoppedBySignal, RunLog } from './engine/index.js';
export type { ProgressSink, ProgressMode, RunLogRecord } from './engine/index.js';
