// Where the bundled demo assets live: data/amazon (the four review domains) and
// models/adaptext-mini-en (the backbone adaptext pretrained itself). Resolved from this file's
// location so the demo works from any working directory, from src/ (tsx) and from dist/ alike
// (both sit one level below the package root).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../io/package-info.js';

/** The four Amazon domains bundled in data/amazon, in the benchmark's order. */
export const DEMO_DOMAINS = ['books', 'dvd', 'electronics', 'kitchen'] as const;
export type DemoDomain = (typeof DEMO_DOMAINS)[number];

export function isDemoDomain(s: string): s is DemoDomain {
  return (DEMO_DOMAINS as readonly string[]).includes(s);
}

export { packageRoot };

export function bundledDataDir(): string {
  return join(packageRoot(), 'data', 'amazon');
}

export function bundledModelDir(): string {
  return join(packageRoot(), 'models', 'adaptext-mini-en');
}

export function labelledFile(domain: DemoDomain, dataDir = bundledDataDir()): string {
  return join(dataDir, `${domain}.labeled.jsonl.gz`);
}

export function unlabelledFile(domain: DemoDomain, dataDir = bundledDataDir()): string {
  return join(dataDir, `${domain}.unlabeled.jsonl.gz`);
}

/** A usable model folder has config.json and model.safetensors (the bundled one may be a model card only until its weights land). */
export function checkModelDir(dir: string): void {
  const missing = ['config.json', 'model.safetensors'].filter((f) => !existsSync(join(dir, f)));
  if (missing.length === 0) return;
  if (!existsSync(dir)) throw new Error(`${dir}: no such model folder`);
  throw new Error(`${dir}: not a usable model folder (missing ${missing.join(', ')}); pass --model DIR with an HF BERT/RoBERTa folder`);
}
