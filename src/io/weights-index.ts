// The weight files of a Hugging Face model folder, one rule for the loader (src/models) and the hub
// download (src/hub): the formats in order of preference, and the shard list of an index file.
import { basename } from 'node:path';
import { READ_LIMITS, readInputText } from './read.js';
import { parseJson } from './validate.js';

/** Weight formats in order of preference (safetensors first: nothing to unpickle), each a single
 * file or its sharded index. */
export const WEIGHT_FILES = ['model.safetensors', 'model.safetensors.index.json', 'pytorch_model.bin', 'pytorch_model.bin.index.json'] as const;

/** The shard file names an index (`*.index.json`) lists: plain names beside the index, never a path out of its folder. */
export function indexShardNames(index: string): string[] {
  const obj = parseJson(readInputText(index, 'JSON', READ_LIMITS.tokenizer), index) as { weight_map?: Record<string, unknown> };
  if (typeof obj.weight_map !== 'object' || obj.weight_map === null || Array.isArray(obj.weight_map)) throw new Error(`${index}: missing 'weight_map'`);
  const files = [...new Set(Object.values(obj.weight_map))];
  for (const f of files) {
    if (typeof f !== 'string' || f === '' || basename(f) !== f || f === '..') throw new Error(`${index}: weight_map names shard ${JSON.stringify(f)}, expected a file name in the same folder`);
  }
  return files as string[];
}
