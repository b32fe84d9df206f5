// Fixed splits of the bundled Amazon reviews (data/amazon/README.md, "Splits").
//
// Per domain, from `<domain>.labeled.jsonl.gz` (1,954–1,977 reviews): 200 validation, 1,600 train
// and the rest (154–177) test, stratified by label, carved by src/data splitDataset with a seed
// derived from (split seed, domain) — so a domain has the same split whether it is the source or
// the target of a pair, and the same split in every pair of the benchmark. The target few-shot
// set (stage 3 and the "+ few-shot" baseline) is drawn from the target TRAIN split only
// (stratified, seed from (split seed, domain, shots)), never from validation or test.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readDataset, splitDataset, type Example, type TextExample } from '../data/index.js';
import { deriveSeed } from '../engine/seeds.js';
import { bundledDataDir, labelledFile, type DemoDomain } from './bundled.js';

export const DEMO_LABELS = ['negative', 'positive'] as const;
export const SPLIT_TRAIN = 1600;
export const SPLIT_VALIDATION = 200;
export const DEFAULT_SPLIT_SEED = 42;
export const DEFAULT_SHOTS = 200;

export interface DomainSplits {
  domain: DemoDomain;
  train: TextExample[];
  validation: TextExample[];
  test: TextExample[];
}

function asText(ex: Example, file: string): TextExample {
  if (ex.kind !== 'text' || ex.label === null) throw new Error(`${ex.where}: expected a labelled review in ${file}`);
  return ex;
}

/** The fixed train / validation / test split of one domain's labelled reviews. */
export function splitDomain(domain: DemoDomain, opts: { seed?: number; dataDir?: string } = {}): DomainSplits {
  const file = labelledFile(domain, opts.dataDir ?? bundledDataDir());
  const all = readDataset(file, { task: 'classification', labels: DEMO_LABELS }).examples.map((e) => asText(e, file));
  const nTest = all.length - SPLIT_TRAIN - SPLIT_VALIDATION;
  if (nTest < 1) throw new Error(`${file}: ${all.length} labelled reviews; the demo split needs more than ${SPLIT_TRAIN + SPLIT_VALIDATION}`);
  const s = splitDataset(all, {
    seed: deriveSeed(opts.seed ?? DEFAULT_SPLIT_SEED, 'demo-split', domain),
    sizes: { validation: SPLIT_VALIDATION, test: nTest, train: SPLIT_TRAIN },
    labelOf: (e) => e.label,
  });
  return { domain, train: s.train, validation: s.validation, test: s.test };
}

/** The target few-shot set: `shots` reviews drawn (stratified) from the domain's train split. */
export function fewShotSet(split: DomainSplits, shots: number, seed = DEFAULT_SPLIT_SEED): TextExample[] {
  if (!Number.isInteger(shots) || shots < 2 || shots > split.train.length) {
    throw new Error(`shots: must be an integer in [2, ${split.train.length}] (the ${split.domain} train split), got ${shots}`);
  }
  return splitDataset(split.train, {
    seed: deriveSeed(seed, 'demo-few-shot', split.domain, shots),
    sizes: { validation: 0, test: 0, fewShot: shots },
    labelOf: (e) => e.label,
  }).fewShot;
}

function toJsonl(examples: readonly TextExample[]): string {
  return examples.map((e) => JSON.stringify({ id: e.id, text: e.text, label: DEMO_LABELS[e.label!] })).join('\n') + '\n';
}

export interface SplitFiles {
  train: string;
  validation: string;
  test: string;
}

/** Write a domain's splits as JSON Lines (`id`, `text`, `label`) into `dir`; returns the paths. */
export function writeSplits(split: DomainSplits, dir: string): SplitFiles {
  mkdirSync(dir, { recursive: true });
  const files = {
    train: join(dir, `${split.domain}.train.jsonl`),
    validation: join(dir, `${split.domain}.validation.jsonl`),
    test: join(dir, `${split.domain}.test.jsonl`),
  };
  writeFileSync(files.train, toJsonl(split.train));
  writeFileSync(files.validation, toJsonl(split.validation));
  writeFileSync(files.test, toJsonl(split.test));
  return files;
}

/**
 * The target reviews every row of the demo is scored on: the test split plus the train-split
 * reviews outside the few-shot set, test first. No row trains on them (stage 2 reads the
 * unlabelled file; stage 3, few-shot-only and the baselines read source train and the few-shot
 * set) and nothing is chosen on them (validation does that). Ten times the test split alone
 * (1,554–1,577 Amazon reviews instead of 154–177), so a difference between two rows is measured to
 * about ±1.2 points instead of ±3.7 — with the test split alone, which of two rows a few points
 * apart came out ahead was mostly chance.
 */
export function heldOutTarget(split: DomainSplits, fewShot: readonly TextExample[]): TextExample[] {
  const few = new Set(fewShot.map((e) => e.id));
  const train = new Set(split.train.map((e) => e.id));
  const unknown = fewShot.find((e) => !train.has(e.id));
  if (unknown !== undefined) throw new Error(`held-out ${split.domain} reviews: few-shot review ${unknown.id} is not in the train split`);
  return [...split.test, ...split.train.filter((e) => !few.has(e.id))];
}

/** Write the target's held-out reviews (heldOutTarget) as `<domain>.heldout.jsonl` in `dir`; returns the path. */
export function writeHeldOut(domain: DemoDomain, examples: readonly TextExample[], dir: string): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${domain}.heldout.jsonl`);
  writeFileSync(file, toJsonl(examples));
  return file;
}

export function writeFewShot(domain: DemoDomain, examples: readonly TextExample[], dir: string): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${domain}.fewshot-${examples.length}.jsonl`);
  writeFileSync(file, toJsonl(examples));
  return file;
}
