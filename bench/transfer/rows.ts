// The labelled demo rows of one JSON Lines file, encoded for a checkpoint's tokenizer: what the
// stage-2 tools score their checkpoints on (the benchmark's pair folders hold such files).
import { encodeExamples, readDataset, type EncodedExample } from '../../src/data/index.js';
import { DEMO_LABELS } from '../../src/demo/splits.js';
import type { Tokenizer } from '../../src/text/index.js';

export function encodeLabelled(file: string, tokenizer: Tokenizer, maxLength: number, domain: number): EncodedExample[] {
  return encodeExamples(readDataset(file, { task: 'classification', labels: DEMO_LABELS }).examples, tokenizer, { maxLength, domain }).encoded;
}
