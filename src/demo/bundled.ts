// Where the bundled demo assets live, per demo language: English — data/amazon (four Amazon
// review domains) and models/adaptext-mini-en; Chinese — data/zh-shopping (four online-shopping
// categories) and models/adaptext-mini-zh; both backbones pretrained by adaptext itself. Resolved
// from this file's location so the demo works from any working directory, from src/ (tsx) and
// from dist/ alike (both sit one level below the package root).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../io/package-info.js';
import type { Stage2Config } from '../train/config.js';

export const DEMO_LANGUAGES = ['en', 'zh'] as const;
export type DemoLanguage = (typeof DEMO_LANGUAGES)[number];

export interface DemoCorpus {
  lang: DemoLanguage;
  /** What the data is, for titles and help. */
  description: string;
  /** Folder under the package root holding `<domain>.labeled.jsonl.gz` / `.unlabeled.jsonl.gz`. */
  dataFolder: string;
  /** Bundled backbone folder under the package root. */
  modelFolder: string;
  /** The domains, in the benchmark's order. */
  domains: readonly string[];
  defaultSource: string;
  defaultTarget: string;
  /**
   * The part of the demo's stage-2 recipe measured per backbone, on target rows that are not held
   * out (src/demo/settings.ts): `stage2.freeze_layers` (null: the top-level freeze) and
   * `stage2.refit_head`.
   */
  stage2: Readonly<DemoStage2Recipe>;
}

export type DemoStage2Recipe = Pick<Stage2Config, 'freeze_layers' | 'refit_head'>;

export const DEMO_CORPORA: Readonly<Record<DemoLanguage, DemoCorpus>> = Object.freeze({
  en: {
    lang: 'en',
    description: 'Amazon reviews (Blitzer et al. 2007)',
    dataFolder: join('data', 'amazon'),
    modelFolder: join('models', 'adaptext-mini-en'),
    domains: ['books', 'dvd', 'electronics', 'kitchen'],
    defaultSource: 'books',
    defaultTarget: 'kitchen',
    stage2: { freeze_layers: 0, refit_head: 'auto' },
  },
  zh: {
    lang: 'zh',
    description: 'Chinese online-shopping reviews (ChineseNlpCorpus)',
    dataFolder: join('data', 'zh-shopping'),
    modelFolder: join('models', 'adaptext-mini-zh'),
    domains: ['books', 'hotel', 'tablet', 'fruit'],
    defaultSource: 'books',
    defaultTarget: 'hotel',
    stage2: { freeze_layers: 0, refit_head: 'never' },
  },
});

/** The corpus of a demo language; an unknown one names the flag and the choices. */
export function demoCorpus(lang: string = 'en', flag = '--lang'): DemoCorpus {
  if (!(DEMO_LANGUAGES as readonly string[]).includes(lang)) throw new Error(`${flag}: unknown demo language '${lang}' (bundled: ${DEMO_LANGUAGES.join(', ')})`);
  return DEMO_CORPORA[lang as DemoLanguage];
}

/** The English Amazon domains (the default language), in the benchmark's order. */
export const DEMO_DOMAINS = DEMO_CORPORA.en.domains;
/** A bundled domain name (of whichever language; check it with `isDemoDomain`). */
export type DemoDomain = string;

export function isDemoDomain(s: string, lang: DemoLanguage = 'en'): boolean {
  return DEMO_CORPORA[lang].domains.includes(s);
}

/** Why `v` is not a domain of the corpus (a one-line message naming the flag), or null when it is. */
export function demoDomainError(corpus: DemoCorpus, flag: string, v: string): string | null {
  return corpus.domains.includes(v) ? null : `${flag}: unknown domain '${v}' (bundled ${corpus.lang} domains: ${corpus.domains.join(', ')})`;
}

export { packageRoot };

export function bundledDataDir(lang: DemoLanguage = 'en'): string {
  return join(packageRoot(), DEMO_CORPORA[lang].dataFolder);
}

export function bundledModelDir(lang: DemoLanguage = 'en'): string {
  return join(packageRoot(), DEMO_CORPORA[lang].modelFolder);
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
