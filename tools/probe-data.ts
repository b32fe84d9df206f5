// Shared by the backbone probes (tools/probe-backbone.ts, tools/linear-probe.ts): the bundled
// Amazon labelled reviews as {text, label: 0 negative | 1 positive}, the probes' command line
// (node:util parseArgs), and right-padding of id lists.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { readText } from '../src/pretrain/index.js';

export interface Review {
  text: string;
  /** 0 negative, 1 positive. */
  label: number;
}

export function labelledReviews(dataDir: string, domain: string): Review[] {
  const file = join(dataDir, `${domain}.labeled.jsonl.gz`);
  if (!existsSync(file)) throw new Error(`${file}: missing (the bundled Amazon data)`);
  return readText(file)
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l, i) => {
      const o = JSON.parse(l) as { text: string; label: unknown };
      if (o.label !== 'positive' && o.label !== 'negative') throw new Error(`${file}:${i + 1}: label must be positive/negative`);
      return { text: o.text, label: o.label === 'positive' ? 1 : 0 };
    });
}

/** Right-pads token-id lists into one model input: inputIds/attentionMask [B*T], T = longest. */
export function padBatch(idLists: ReadonlyArray<readonly number[]>, padId: number): { inputIds: Int32Array; attentionMask: Float32Array; shape: [number, number] } {
  const B = idLists.length;
  const T = Math.max(...idLists.map((ids) => ids.length));
  const inputIds = new Int32Array(B * T).fill(padId);
  const attentionMask = new Float32Array(B * T);
  idLists.forEach((ids, b) => {
    inputIds.set(ids, b * T);
    attentionMask.fill(1, b * T, b * T + ids.length);
  });
  return { inputIds, attentionMask, shape: [B, T] };
}

/**
 * CHECKPOINT_DIR and the `--name value` options of a probe; bad usage prints `usage` and exits 2.
 * dataDir: --data, else the bundled Amazon reviews (dataGiven says which).
 */
export function probeArgs<K extends string>(usage: string, names: readonly K[]): { dir: string; dataDir: string; dataGiven: boolean; jsonOut: string | undefined; opt: Record<K, string | undefined> } {
  const options = Object.fromEntries([...names, 'data', 'json-out'].map((n) => [n, { type: 'string' as const }]));
  let parsed;
  try {
    parsed = parseArgs({ args: process.argv.slice(2), options, allowPositionals: true });
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\nusage: ${usage}\n`);
    process.exit(2);
  }
  const dir = parsed.positionals[0];
  if (dir === undefined || parsed.positionals.length > 1) {
    process.stderr.write(`usage: ${usage}\n`);
    process.exit(2);
  }
  const v = parsed.values as Record<string, string | undefined>;
  const opt = Object.fromEntries(names.map((n) => [n, v[n]])) as Record<K, string | undefined>;
  return { dir, dataDir: resolve(v['data'] ?? join(import.meta.dirname, '..', 'data', 'amazon')), dataGiven: v['data'] !== undefined, jsonOut: v['json-out'], opt };
}
