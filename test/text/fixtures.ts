// Test helper: materialise a tokenizer fixture folder (test/fixtures/tokenizers/<model>,
// large files stored gzipped) as a plain HF folder in a temp dir, so the tests exercise the
// same loadTokenizer path users hit with a downloaded checkpoint.

import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { tmp } from '../support/tmp.js';

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'tokenizers');

export const MODELS = ['bert-base-uncased', 'bert-base-chinese', 'hfl__chinese-roberta-wwm-ext', 'roberta-base'] as const;
export type FixtureModel = (typeof MODELS)[number];

/** Copy `model`'s fixture files into a fresh temp folder, gunzipping *.gz; `omit` drops files by their final name. */
export function materialize(model: string, omit: readonly string[] = [], extra: Record<string, string | Buffer> = {}): string {
  const src = join(FIXTURES, model);
  const dst = tmp(`adaptext-tok-${model}-`);
  for (const f of readdirSync(src)) {
    const gz = f.endsWith('.gz');
    const name = gz ? f.slice(0, -3) : f;
    if (omit.includes(name)) continue;
    const bytes = readFileSync(join(src, f));
    writeFileSync(join(dst, name), gz ? gunzipSync(bytes) : bytes);
  }
  for (const [name, content] of Object.entries(extra)) writeFileSync(join(dst, name), content);
  return dst;
}

/** Decompressed bytes of one fixture file. */
export function fixtureFile(model: string, name: string): Buffer {
  const p = join(FIXTURES, model, name);
  try {
    return gunzipSync(readFileSync(p + '.gz'));
  } catch {
    return readFileSync(p);
  }
}

export interface ExpectedEncoding {
  text: string;
  ids: number[];
  tokens: string[];
  offsets: [number, number][];
  ids_without_special_tokens: number[];
  decoded_skip_special: string;
}

export interface Expected {
  library: string;
  sentences: string[];
  models: Record<string, { encodings: ExpectedEncoding[] }>;
}

export function expectedEncodings(): Expected {
  return JSON.parse(readFileSync(join(FIXTURES, 'expected_encodings.json'), 'utf8')) as Expected;
}

/** HF offsets count code points; ours count UTF-16 units. Convert a code-point offset. */
export function cpToUtf16(text: string, cp: number): number {
  let i = 0;
  for (let k = 0; k < cp; k++) i += (text.codePointAt(i) ?? 0) > 0xffff ? 2 : 1;
  return i;
}
