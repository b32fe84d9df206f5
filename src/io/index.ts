// File formats and safe writing: safetensors, HF config.json, JSON Lines, config validation,
// atomic files/folders, pickle refusal, PyTorch zip checkpoints read without executing them.
export * from './atomic.js';
export * from './lock.js';
export * from './hash.js';
export * from './read.js';
export * from './config.js';
export * from './config-file.js';
export * from './float16.js';
export * from './jsonl.js';
export * from './pickle.js';
export * from './safetensors.js';
export * from './torch-checkpoint.js';
export * from './validate.js';
