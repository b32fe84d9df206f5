// The pretraining options: one schema (src/io/validate, the machinery of the pipeline config)
// behind the library call, a YAML/JSON config file (`adaptext pretrain --config pretrain.yaml`),
// the command-line flags (generated from it: `batch_size` ↔ `--batch-size`, help text and
// defaults from here) and the generated table in src/pretrain/README.md.
// Config files and flags use snake_case keys like the pipeline config and HF; the library's
// PretrainOptions is the same set in camelCase.
import { dirname, resolve } from 'node:path';
import { v, validate, type Infer, type Schema } from '../io/validate.js';
import { readConfigFile } from '../io/config-file.js';
import type { ProgressMode } from '../engine/progress.js';
import { PROGRESS_MODES } from '../engine/progress.js';
import { parseModelId } from '../hub/index.js';

const int = (min: number) => v.integer({ min });

/** Every field, in the order of the docs and of `adaptext pretrain --help`. */
export const PretrainSchema = v.object(
  {
    // ---- data
    inputs: v.doc(v.array(v.path(), { minItems: 1 }), 'training corpus: .txt (one record per line) or .jsonl (a text field) files or globs; .gz is read transparently'),
    out: v.doc(v.path(), 'output folder: the latest HF model at its top level, checkpoint/, log.jsonl, snapshots/ (must be new or empty)'),
    heldout: v.doc(v.withDefault(v.array(v.path()), []), 'held-out corpora for masked-LM loss and perplexity, each reported separately (never a training input)'),
    text_field: v.doc(v.withDefault(v.string({ nonEmpty: true }), 'text'), 'JSON Lines field holding the text'),
    model: v.doc(
      v.withDefault(v.nullable(v.path({ keepRaw: (s) => parseModelId(s) !== null })), null),
      'continue pretraining this HF folder or hub model id (domain-adaptive pretraining) instead of starting from scratch',
    ),
    // ---- architecture (from scratch)
    layers: v.doc(v.withDefault(int(1), 4), 'encoder layers (from scratch)'),
    hidden: v.doc(v.withDefault(int(1), 256), 'hidden size (from scratch; a multiple of heads)'),
    heads: v.doc(v.withDefault(int(1), 4), 'attention heads (from scratch)'),
    intermediate: v.doc(v.withDefault(int(1), 1024), 'feed-forward size (from scratch)'),
    vocab_size: v.doc(v.withDefault(int(10), 16000), 'WordPiece vocabulary size learned on the corpus (from scratch)'),
    limit_alphabet: v.doc(
      v.withDefault(v.nullable(int(1)), null),
      'characters the vocabulary keeps as its alphabet, most frequent first (from scratch; null: 1000 as HF BertWordPieceTokenizer.train, or every character when more than half the corpus letters are CJK, whose vocabulary is its characters)',
    ),
    max_length: v.doc(v.withDefault(int(8), 128), 'tokens per packed sequence (from scratch also max_position_embeddings)'),
    dropout: v.doc(v.withDefault(v.number({ min: 0, max: 1, exclusiveMax: true }), 0.1), 'hidden and attention dropout (from scratch)'),
    lowercase: v.doc(v.withDefault(v.boolean(), true), 'lower-case like bert-base-uncased (from scratch); the flag --no-lowercase keeps case'),
    // ---- optimisation
    batch_size: v.doc(v.withDefault(int(1), 32), 'sequences per micro-batch'),
    grad_accum: v.doc(v.withDefault(int(1), 1), 'micro-batches per optimizer step'),
    lr: v.doc(v.withDefault(v.number({ min: 0, exclusiveMin: true }), 5e-4), 'peak learning rate (AdamW, betas 0.9/0.98, eps 1e-6)'),
    warmup_steps: v.doc(v.withDefault(int(0), 500), 'linear warm-up steps (at most total_steps)'),
    weight_decay: v.doc(v.withDefault(v.number({ min: 0 }), 0.01), 'AdamW weight decay, not on biases and LayerNorm'),
    total_steps: v.doc(v.withDefault(v.nullable(int(1)), null), 'schedule horizon: the learning rate decays linearly to 0 here (null: max_steps, else max_tokens / tokens per step, else 10000)'),
    clip: v.doc(v.withDefault(v.number({ min: 0, exclusiveMin: true }), 1.0), 'global gradient-norm clip'),
    mlm_probability: v.doc(v.withDefault(v.number({ min: 0, max: 1, exclusiveMin: true, exclusiveMax: true }), 0.15), 'share of tokens selected for masked LM (80% [MASK], 10% random, 10% kept)'),
    whole_word_mask: v.doc(
      v.withDefault(v.boolean(), false),
      'mask whole words (hfl/chinese-roberta-wwm-ext): all characters of a Chinese word (Intl.Segmenter, ICU dictionary) and all ## pieces of a word are selected together, up to mlm_probability of the tokens; also the held-out masking',
    ),
    objective: v.doc(
      v.withDefault(v.enum(['mlm', 'electra'] as const), 'mlm'),
      'mlm: masked-LM (BERT); electra: replaced-token detection (Clark et al. 2020) — a small generator fills the masked positions, the model learns to tell every token original or replaced',
    ),
    generator_scale: v.doc(
      v.withDefault(v.number({ min: 0, max: 1, exclusiveMin: true }), 0.25),
      "electra: the generator's hidden size, heads and feed-forward as a share of the model's (same layers, own embeddings)",
    ),
    rtd_weight: v.doc(v.withDefault(v.number({ min: 0, exclusiveMin: true }), 50), "electra: weight of the replaced-token loss against the generator's MLM loss (the paper's λ)"),
    seed: v.doc(v.withDefault(int(0), 42), 'seed of the initialisation, data order, masking and dropout'),
    // ---- stop conditions (0 = none); a stopped run resumes on the same schedule
    max_steps: v.doc(v.withDefault(int(0), 0), 'stop after this many optimizer steps (0 = no limit)'),
    max_minutes: v.doc(v.withDefault(v.number({ min: 0 }), 0), 'stop at a checkpoint after this many minutes of this session (0 = no limit)'),
    max_tokens: v.doc(v.withDefault(int(0), 0), 'stop after this many training tokens; the flag takes 20M-style counts (0 = no limit)'),
    // ---- cadence
    eval_every: v.doc(v.withDefault(int(0), 250), 'held-out evaluation every n steps (0 = only at the start and the end)'),
    heldout_sequences: v.doc(v.withDefault(int(1), 200), 'packed sequences scored per held-out file'),
    checkpoint_every: v.doc(v.withDefault(int(0), 0), 'checkpoint every n steps (0 = off)'),
    checkpoint_minutes: v.doc(v.withDefault(v.number({ min: 0 }), 10), 'checkpoint every x minutes (0 = off)'),
    snapshot_every: v.doc(v.withDefault(int(0), 0), 'keep an fp16 HF snapshot in snapshots/ every n steps (0 = off)'),
    log_every: v.doc(v.withDefault(int(1), 10), 'a step record in log.jsonl and a progress line every n steps'),
    progress: v.doc(v.withDefault(v.enum(PROGRESS_MODES), 'auto'), 'progress display: a bar on a terminal, lines otherwise (auto), or none'),
  },
  { refine: (o) => ((o['hidden'] as number) % (o['heads'] as number) !== 0 ? `hidden ${String(o['hidden'])} is not a multiple of heads ${String(o['heads'])}` : undefined) },
);

export type PretrainConfig = Infer<typeof PretrainSchema>;

/** Options a resumed run may change (everything else comes from OUT/run.json). */
export const RESUME_OVERRIDABLE = ['maxSteps', 'maxMinutes', 'maxTokens', 'checkpointEvery', 'checkpointMinutes', 'snapshotEvery', 'logEvery', 'progress', 'evalEvery'] as const;

export interface PretrainOptions {
  out: string;
  inputs: string[];
  heldout: string[];
  textField: string;
  model: string | null;
  layers: number;
  hidden: number;
  heads: number;
  intermediate: number;
  vocabSize: number;
  /** null: decided from the corpus (see the schema's doc). */
  limitAlphabet: number | null;
  maxLength: number;
  dropout: number;
  lowercase: boolean;
  batchSize: number;
  gradAccum: number;
  lr: number;
  warmupSteps: number;
  weightDecay: number;
  /** Schedule horizon: lr decays linearly to 0 here. */
  totalSteps: number;
  clip: number;
  mlmProbability: number;
  wholeWordMask: boolean;
  objective: 'mlm' | 'electra';
  generatorScale: number;
  rtdWeight: number;
  seed: number;
  maxSteps: number;
  maxMinutes: number;
  maxTokens: number;
  evalEvery: number;
  heldoutSequences: number;
  checkpointEvery: number;
  checkpointMinutes: number;
  snapshotEvery: number;
  logEvery: number;
  progress: ProgressMode;
}

const camel = (k: string) => k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
const snake = (k: string) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** The schema's defaults (everything but inputs and out), camelCase. */
export const PRETRAIN_DEFAULTS: Omit<PretrainOptions, 'out' | 'inputs'> = (() => {
  const c = resolvePretrainConfig(validate(PretrainSchema, { inputs: ['-'], out: '-' }, { source: 'built-in defaults', freeze: false }));
  const rest: Partial<PretrainOptions> = { ...c };
  delete rest.out;
  delete rest.inputs;
  return Object.freeze(rest as Omit<PretrainOptions, 'out' | 'inputs'>);
})();

/** A validated config → the library's options: camelCase, the schedule horizon and warm-up resolved. */
export function resolvePretrainConfig(c: PretrainConfig): PretrainOptions {
  const o = Object.fromEntries(Object.entries(c).map(([k, x]) => [camel(k), x])) as unknown as Omit<PretrainOptions, 'totalSteps'> & { totalSteps: number | null };
  const tokensPerStep = o.batchSize * o.maxLength * o.gradAccum;
  const totalSteps = o.totalSteps ?? (o.maxSteps > 0 ? o.maxSteps : o.maxTokens > 0 ? Math.ceil(o.maxTokens / tokensPerStep) : 10000);
  return { ...o, inputs: [...o.inputs], heldout: [...o.heldout], totalSteps, warmupSteps: Math.min(o.warmupSteps, totalSteps) };
}

/** Check library options (camelCase) against the schema; the error names `source` and the snake_case key. */
export function checkPretrainOptions(o: PretrainOptions, source: string): void {
  validate(PretrainSchema, Object.fromEntries(Object.entries(o).map(([k, x]) => [snake(k), x])), { source, freeze: false });
}

/** How a schema field becomes a flag: `--kebab-name`, and how its text is read. */
export interface FieldFlag {
  key: string;
  flag: string;
  kind: 'number' | 'boolean' | 'list' | 'string';
  description: string;
  /** The default as shown (undefined: required, or derived). */
  fallback: unknown;
  expected: string;
}

/** Flags of every field of the schema, in its order (`inputs` is the positional argument). */
export function pretrainFlags(): FieldFlag[] {
  const fields = PretrainSchema.fields!;
  return Object.entries(fields).map(([key, s]: [string, Schema<unknown, boolean>]) => {
    const e = s.expected;
    const kind = /^an? (integer|number)/.test(e) ? 'number' : e === 'true or false' ? 'boolean' : e === 'an array' ? 'list' : 'string';
    return { key, flag: `--${key.replace(/_/g, '-')}`, kind, description: s.description ?? '', fallback: s.fallback?.(), expected: e };
  });
}

const PATH_FIELDS = new Set(['inputs', 'out', 'heldout', 'model']);

/**
 * Options from a YAML/JSON config file (snake_case keys, paths relative to the file) and/or
 * command-line values (snake_case keys, paths relative to the working directory; they win over
 * the file), validated by the schema and resolved.
 */
export function loadPretrainConfig(file: string | null, flags: Readonly<Record<string, unknown>> = {}): PretrainOptions {
  const fromFile = file === null ? {} : readConfigFile(file);
  if (typeof fromFile !== 'object' || fromFile === null || Array.isArray(fromFile)) throw new Error(`${file}: expected a mapping of pretraining options (snake_case keys)`);
  const given = Object.fromEntries(Object.entries(flags).map(([k, x]) => [k, !PATH_FIELDS.has(k) || x === null ? x : Array.isArray(x) ? x.map((p: string) => resolve(p)) : resolve(x as string)]));
  const source = file === null ? 'pretrain options' : `${file} (with the command-line flags)`;
  const baseDir = file === null ? process.cwd() : dirname(resolve(file));
  return resolvePretrainConfig(validate(PretrainSchema, { ...fromFile, ...given }, { source, baseDir, freeze: false }));
}
