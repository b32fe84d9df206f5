// The tasks the CLI performs, as library calls: each `adaptext` command parses its flags and calls
// one of these (or runPipeline / pretrain / runDemo / predict / evaluate of the lower areas), so
// everything the CLI does is reachable from TypeScript.
export { openModelFolder } from './model-folder.js';
export type { OpenedModel } from './model-folder.js';
export { inspectModel } from './inspect.js';
export type { AdapterReport, HeadReport, InspectReport } from './inspect.js';
export { encodeFile, float32Text, POOLINGS } from './encode.js';
export type { EncodeFileOptions, EncodeFileResult } from './encode.js';
export { vocabExtend } from './vocab.js';
export type { VocabExtendOptions } from './vocab.js';
