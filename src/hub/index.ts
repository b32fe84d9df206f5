// Hugging Face Hub models by id: the shared cache layout, downloads that resume and verify, offline use.
export { hubCacheDir, hfHome, repoFolderName, isCommitHash, cachedCommit, snapshotDir } from './cache.js';
export type { Env } from './cache.js';
export { parseModelId, formatModelId } from './model-id.js';
export type { ModelId } from './model-id.js';
export { DEFAULT_ENDPOINT, HubError, fileMeta, hubFile, resolveHubOptions } from './download.js';
export type { HubOptions, ResolvedHubOptions, FileMeta, FileResult } from './download.js';
export { downloadModel, resolveModelRef, cachedModelDir, localModelDir, OPTIONAL_FILES } from './model.js';
export type { DownloadedModel } from './model.js';
