// The pipeline config: one YAML or JSON file (`adaptext train --config run.yaml`), validated by
// src/io/validate (unknown keys get "did you mean", wrong types name the key path and the file),
// with command-line overrides applied before validation (`--set stage1.epochs=2`, `--seed 7`).
// Relative paths resolve against the config file's folder, so a config means the same from any
// working directory. Defaults follow the method described in README.md and src/train/README.md (see `docs` of each field).
//
// Values that depend on the model (the number of frozen layers, adapter leave_out) are resolved
// by `resolveModelDependent` once the model's layer count is known: freeze floor(L/2) lower
// layers (6 of 12), adapters in the layers above.
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { v, validate, type Infer, type Schema } from '../io/validate.js';
import { readConfigFile } from '../io/config-file.js';
import { parseModelId } from '../hub/model-id.js';
import { MATMUL_PRECISIONS } from '../tensor/precision.js';

/** An object field that may be absent: its default is the object schema applied to {} (nested defaults filled). */
function section<T>(s: Schema<T, boolean>): Schema<T> {
  return v.withDefault(s, () => validate(s, {}, { source: 'built-in defaults', freeze: false }));
}

// Names become folder and file names (adapters, heads, checkpoints): checked here, before any work,
// not by ENAMETOOLONG after stage 1. Same rule as AdapterModel's names (src/models/model.ts).
const DOMAIN_NAME = { pattern: /^[A-Za-z0-9_-]{1,64}$/, patternName: 'a name of 1 to 64 letters, digits, "-" or "_"' } as const;

const Task = v.object({
  type: v.enum(['sequence_classification', 'token_classification'] as const),
  /** Label names in id order (tags for token classification). */
  labels: v.refine(v.array(v.string({ nonEmpty: true }), { minItems: 2 }), (ls) => {
    const dup = ls.find((l, i) => ls.indexOf(l) !== i);
    return dup === undefined ? undefined : `label ${JSON.stringify(dup)} is listed twice`;
  }),
  /**
   * What a sequence-classification head reads: pooler | cls | mean, or auto = the pooler when the
   * checkpoint's pooler was trained (a Hugging Face BERT), else the masked mean (checkpoints from
   * MLM-only pretraining, such as the bundled one; RoBERTa heads read <s> through their own dense layer).
   */
  pooling: v.withDefault(v.enum(['auto', 'pooler', 'cls', 'mean'] as const), 'auto'),
  /**
   * Dropout on the vector a new head reads (HF `classifier_dropout`); null = the model's
   * classifier_dropout, else its hidden_dropout_prob (as HF).
   */
  classifier_dropout: v.withDefault(v.nullable(v.number({ min: 0, max: 1, exclusiveMax: true })), null),
});

const Reader = v.object({
  format: v.optional(v.enum(['jsonl', 'csv', 'tsv', 'conll', 'txt'] as const)),
  text_field: v.withDefault(v.string({ nonEmpty: true }), 'text'),
  label_field: v.withDefault(v.string({ nonEmpty: true }), 'label'),
  tokens_field: v.withDefault(v.string({ nonEmpty: true }), 'tokens'),
  tags_field: v.withDefault(v.string({ nonEmpty: true }), 'tags'),
  id_field: v.withDefault(v.string({ nonEmpty: true }), 'id'),
  /** 'fail': the first malformed line (or invalid UTF-8) stops the run (file:line: reason); 'skip': skip and count;
   * 'replace': invalid UTF-8 becomes U+FFFD, counted and reported (other malformed lines fail). */
  on_malformed: v.withDefault(v.enum(['fail', 'skip', 'replace'] as const), 'fail'),
  header: v.withDefault(v.boolean(), true),
  delimiter: v.optional(v.string({ nonEmpty: true })),
  /** Read at most this many examples per file. */
  limit: v.optional(v.integer({ min: 1 })),
});

const SplitSizes = v.object({
  /** Count, or fraction in (0, 1) of the labelled file. */
  validation: v.withDefault(v.number({ min: 0 }), 0.1),
  test: v.withDefault(v.number({ min: 0 }), 0.1),
});

const paths = v.union([v.path(), v.array(v.path(), { minItems: 1 })]);

function domainSchema() {
  return v.object(
    {
      /** Domain name: names the adapter (one per domain) and appears in logs/reports. */
      name: v.string({ nonEmpty: true, ...DOMAIN_NAME }),
      /** Task (key of `tasks`) whose labels this domain's labelled files carry. */
      task: v.string({ nonEmpty: true }),
      train: v.optional(v.path()),
      validation: v.optional(v.path()),
      test: v.optional(v.path()),
      /** One labelled file split by seed into train / validation / test (instead of the three). */
      labelled: v.optional(v.path()),
      split: v.withDefault(SplitSizes, { validation: 0.1, test: 0.1 }),
      /** Unlabelled text (MLM in stage 2; target: required unless target.train exists). */
      unlabelled: v.optional(paths),
      /** Target only: the labelled few-shot file for stage 3 (default: `stage3.shots` drawn from train). */
      few_shot: v.optional(v.path()),
      reader: section(Reader),
    },
    {
      refine: (d) => {
        if (d['labelled'] !== undefined && (d['train'] !== undefined || d['validation'] !== undefined || d['test'] !== undefined)) {
          return 'give either `labelled` (split by seed) or `train`/`validation`/`test` files, not both';
        }
        return undefined;
      },
    },
  );
}

const LrGroups = v.object({
  adapters: v.optional(v.number({ min: 0 })),
  heads: v.optional(v.number({ min: 0 })),
  backbone: v.optional(v.number({ min: 0 })),
  /** Default: the backbone lr. */
  embeddings: v.optional(v.number({ min: 0 })),
  /**
   * Domain discriminator; default: the adapters lr. It is a fresh MLP that must learn within
   * stage 2 — at a fine-tuning lr (2e-5) it stays at chance and the reversed gradient carries nothing.
   */
  discriminator: v.optional(v.number({ min: 0 })),
});

const Metric = v.enum(['macro_f1', 'accuracy'] as const);

/** Settings every stage has; each stage gives its own defaults. */
function stageFields(d: { epochs: number; batch: number; patience: number | null }) {
  return {
    enabled: v.withDefault(v.boolean(), true),
    epochs: v.withDefault(v.integer({ min: 1 }), d.epochs),
    batch_size: v.withDefault(v.integer({ min: 1 }), d.batch),
    /** Override of the top-level max_length for this stage. */
    max_length: v.optional(v.integer({ min: 8 })),
    /** Stop after this many optimizer steps (default: epochs × batches). */
    max_steps: v.optional(v.integer({ min: 1 })),
    /** Per-group learning rates for this stage (override `optimizer.lr`). */
    lr: section(LrGroups),
    warmup_ratio: v.optional(v.number({ min: 0, max: 1 })),
    /** Early stopping: epochs without improvement of the validation metric (null = never stop early). */
    patience: v.withDefault(v.nullable(v.integer({ min: 1 })), d.patience),
    metric: v.withDefault(Metric, 'macro_f1'),
  };
}

/**
 * A task head this stage creates starts as a logistic-regression probe of its features on the
 * stage's training rows (linear_probe: LP-FT, Kumar et al. 2022), or at random (random).
 */
const HeadInit = v.withDefault(v.enum(['linear_probe', 'random'] as const), 'linear_probe');

/** Validate before the first step too: the stage ends with its starting model if no epoch beats it on validation. */
const ValidateAtStart = v.withDefault(v.boolean(), true);

const Stage1 = v.object({ ...stageFields({ epochs: 3, batch: 16, patience: 2 }), head_init: HeadInit, validate_at_start: ValidateAtStart });

const Stage2 = v.object({
  ...stageFields({ epochs: 1, batch: 16, patience: null }),
  /**
   * Which adapter the SOURCE rows run through in stage 2 (target rows always use the target one).
   * own: the source adapter — two adapters, DANN must pull them together; any drift between them
   *   (e.g. from MLM on the target adapter alone) is a domain cue a held-out domain classifier
   *   finds (src/train/README.md, "Adapters per domain").
   * target: the target adapter (initialised from the source one) sees both domains, as in
   *   single-adapter DANN; the source adapter keeps its stage-1 weights. After stage 2 the source
   *   rows are also evaluated through the target adapter.
   */
  source_adapter: v.withDefault(v.enum(['own', 'target'] as const), 'target'),
  /**
   * Lower encoder layers kept frozen during stage 2 (null: the top-level freeze_layers). Fewer than
   * that lets the alignment losses reach the layers below the adapters — with 0 the embeddings too —
   * which the adapters alone cannot undo: a domain cue carried by a frozen token embedding reaches
   * the pooled features through the residual stream (src/train/README.md, "Which layers stage 2 trains").
   * The adapters stay in the layers they were placed in.
   */
  freeze_layers: v.withDefault(v.nullable(v.integer({ min: 0 })), null),
  /**
   * Centre each domain's pooled features at the start of stage 2: the mean over the domain's text
   * (source train, target unlabelled) becomes its centre, subtracted before the task head and the
   * discriminator for that domain's rows, from then on and in the saved model (src/train/domain-centres.ts).
   * The source head absorbs the shift (same source predictions); the domains' mean difference is gone.
   */
  centre_features: v.withDefault(v.boolean(), false),
  /**
   * At every stage-2 epoch end (after re-centring, before validation and the checkpoint): refit the
   * source task head as a linear probe of the features the encoder now gives the source train rows
   * (C by source validation accuracy) — always, never, or auto: only when the probe's source
   * validation accuracy beats the head's. The alignment losses move the encoder faster than the
   * task loss moves the head, which can leave the head tilted towards one class on both domains.
   */
  refit_head: v.withDefault(v.enum(['auto', 'always', 'never'] as const), 'never'),
  /**
   * How the encoder is trained against the domain discriminator. grl: gradient reversal (DANN);
   * confusion: the discriminator learns on detached features and the encoder is pushed towards a
   * uniform discriminator output (Tzeng et al. 2015), which — unlike the reversed gradient — has no
   * "swap the domains" solution. λ (below) weighs the encoder's term in both.
   */
  adversary: v.withDefault(v.enum(['grl', 'confusion'] as const), 'grl'),
  /** Share of each mixed batch from the source domain (rest: target). */
  source_ratio: v.withDefault(v.number({ min: 0, max: 1, exclusiveMin: true, exclusiveMax: true }), 0.7),
  mlm_probability: v.withDefault(v.number({ min: 0, max: 1 }), 0.15),
  /** Mask whole words together: Chinese words by Intl.Segmenter, WordPiece words with their ## pieces (src/text/whole-words.ts). */
  whole_word_mask: v.withDefault(v.boolean(), false),
  loss_weights: section(
    v.object({
      /** Supervised source task loss (keeps the task alive). */
      task: v.withDefault(v.number({ min: 0 }), 1),
      /** Masked LM on target rows. */
      mlm: v.withDefault(v.number({ min: 0 }), 1),
      /** Domain discriminator (through the gradient-reversal layer). */
      domain: v.withDefault(v.number({ min: 0 }), 1),
      /** Multi-task: the target task's loss on target few-shot rows mixed into the target stream (0 = off). */
      target_task: v.withDefault(v.number({ min: 0 }), 0),
      /**
       * Linear-kernel MMD between the source and target features of each batch (the features the
       * discriminator reads), ‖mean_source − mean_target‖², weighed by λ too (Long et al. 2015, DAN;
       * 0 = off): it removes the mean shift a linear domain classifier reads, with no adversary to invert.
       */
      mmd: v.withDefault(v.number({ min: 0 }), 0),
    }),
  ),
  lambda: section(
    v.object({
      /** ganin: λ = max·(2/(1+e^(−γp)) − 1) over progress p ∈ [0,1]; constant: λ = max. */
      schedule: v.withDefault(v.enum(['ganin', 'constant'] as const), 'ganin'),
      gamma: v.withDefault(v.number({ min: 0, exclusiveMin: true }), 10),
      max: v.withDefault(v.number({ min: 0 }), 1),
    }),
  ),
  discriminator: section(
    v.object({
      /** Hidden layer sizes of the MLP (default [hidden_size]). */
      hidden_sizes: v.optional(v.array(v.integer({ min: 1 }))),
      dropout: v.optional(v.number({ min: 0, max: 1, exclusiveMax: true })),
      /**
       * Standardise the discriminator's input with statistics of both domains' features taken at
       * the start of stage 2 (fixed, saved with the head): it then sees small-variance directions
       * as a fresh linear probe does, instead of needing hundreds of steps to grow weights for them.
       */
      standardize: v.withDefault(v.boolean(), false),
    }),
  ),
});

const Stage3 = v.object({
  ...stageFields({ epochs: 10, batch: 16, patience: 3 }),
  /** Also used by the few-shot-only ablation (as is validate_at_start). */
  head_init: HeadInit,
  validate_at_start: ValidateAtStart,
  /**
   * When the target task head already exists (the same task as the source, trained in stages
   * 1–2): refit it as a linear probe (`head_init: linear_probe`) on the few-shot rows — always,
   * never (continue from the source-trained head), or auto: only when the probe's target
   * validation accuracy beats the existing head's.
   */
  refit_head: v.withDefault(v.enum(['auto', 'always', 'never'] as const), 'never'),
  /**
   * Candidate total weights of the source domain's labelled train rows in stage 3's linear probe,
   * relative to the few-shot rows' (0 = few-shot rows only). Each is fitted with every C and the
   * best on target validation is kept: after alignment the source labels inform the target head.
   * Not used by the few-shot-only ablation (no aligned space) or without target validation rows.
   */
  probe_source_weights: v.withDefault(v.array(v.number({ min: 0 }), { minItems: 1 }), [0]),
  /** Labelled target examples drawn (stratified, seeded) from target train when no few_shot file is given. */
  shots: v.withDefault(v.integer({ min: 1 }), 500),
});

/**
 * The baseline rows' settings (`baselines: true` = these defaults). `tfidf.analyzer`: auto (char
 * 1–3-grams when more than half of the letters in the texts the baselines train on are CJK — Han,
 * Hiragana, Katakana, Hangul — else word 1–2-grams), or word | char | char_wb as scikit-learn's
 * TfidfVectorizer; `ngram_range` null = the analyzer's default (word [1, 2], char [1, 3]).
 */
const Baselines = v.object({
  enabled: v.withDefault(v.boolean(), true),
  tfidf: section(
    v.object({
      analyzer: v.withDefault(v.enum(['auto', 'word', 'char', 'char_wb'] as const), 'auto'),
      ngram_range: v.withDefault(
        v.nullable(v.refine(v.array(v.integer({ min: 1 }), { minItems: 2, maxItems: 2 }), ([lo, hi]) => (lo! <= hi! ? undefined : `ngram_range [lo, hi] needs lo <= hi, got [${lo}, ${hi}]`))),
        null,
      ),
    }),
  ),
});

/** `baselines` as settings, whether the config gave true/false or the object. */
export function baselineSettings(b: PipelineConfig['baselines']): Infer<typeof Baselines> {
  if (typeof b === 'boolean') return { ...validate(Baselines, {}, { source: 'built-in defaults', freeze: false }), enabled: b };
  return b;
}

export const LR_DEFAULTS = Object.freeze({ adapters: 5e-4, heads: 2e-5, backbone: 1e-5 });

const PipelineFields = v.object({
  /** Hugging Face model folder (config.json, model.safetensors, tokenizer), or a hub model id (org/name[@revision]) fetched into the HF cache. */
  model: v.path({ keepRaw: (s) => parseModelId(s) !== null }),
  /** Run folder (created; an existing run there is only continued with --resume). */
  output: v.path(),
  seed: v.withDefault(v.integer({ min: 0 }), 42),
  max_length: v.withDefault(v.integer({ min: 8 }), 128),
  /** GEMM precision of every linear layer (forward and backward): fp32, or bf16 inputs with fp32 sums (src/tensor/precision.ts). */
  precision: v.withDefault(v.enum(MATMUL_PRECISIONS), 'fp32'),
  /** Features the discriminator, domain confusion and the projection use; auto = what the source task head reads (pooler → pooled). */
  features: v.withDefault(v.enum(['auto', 'pooled', 'cls', 'mean'] as const), 'auto'),
  tasks: v.refine(v.record(Task, { key: v.string({ nonEmpty: true, ...DOMAIN_NAME }) }), (t) => (Object.keys(t).length === 0 ? 'at least one task is needed' : undefined)),
  source: domainSchema(),
  target: domainSchema(),
  /** Lower encoder layers (and embeddings) kept frozen; default floor(L/2) (6 of 12). */
  freeze_layers: v.withDefault(v.nullable(v.integer({ min: 0 })), null),
  adapters: section(
    v.object({
      config: v.withDefault(v.enum(['seq_bn', 'double_seq_bn'] as const), 'seq_bn'),
      reduction_factor: v.withDefault(v.number({ min: 1 }), 16),
      /** Layers without adapters; default: the frozen lower layers. */
      leave_out: v.withDefault(v.nullable(v.array(v.integer({ min: 0 }))), null),
      non_linearity: v.optional(v.string({ nonEmpty: true })),
      /** Stage 2 starts the target adapter as a copy of the trained source adapter, or fresh (near identity). */
      target_init: v.withDefault(v.enum(['copy_source', 'fresh'] as const), 'copy_source'),
    }),
  ),
  optimizer: section(
    v.object({
      lr: section(LrGroups),
      weight_decay: v.withDefault(v.number({ min: 0 }), 0.01),
      warmup_ratio: v.withDefault(v.number({ min: 0, max: 1 }), 0.1),
      clip_norm: v.withDefault(v.number({ min: 0, exclusiveMin: true }), 1.0),
      betas: v.withDefault(v.array(v.number({ min: 0, max: 1, exclusiveMax: true }), { minItems: 2, maxItems: 2 }), [0.9, 0.999]),
      eps: v.withDefault(v.number({ min: 0, exclusiveMin: true }), 1e-8),
    }),
  ),
  stage1: section(Stage1),
  stage2: section(Stage2),
  stage3: section(Stage3),
  vocab: section(
    v.object({
      /** Learn target sub-words and grow the vocabulary before stage 2. */
      enabled: v.withDefault(v.boolean(), false),
      top_k: v.withDefault(v.integer({ min: 1 }), 1000),
      min_frequency: v.withDefault(v.integer({ min: 1 }), 5),
      candidate_vocab_size: v.optional(v.integer({ min: 10 })),
      /** Let stage 2 train the word embeddings (so the new rows adapt) even when layers are frozen. */
      train_embeddings: v.withDefault(v.boolean(), true),
    }),
  ),
  checkpoint: section(
    v.object({
      /** Save a resumable checkpoint every N optimizer steps inside a stage (and at every epoch end). */
      save_every_steps: v.withDefault(v.integer({ min: 1 }), 50),
    }),
  ),
  evaluation: section(
    v.object({
      batch_size: v.withDefault(v.integer({ min: 1 }), 32),
      /** Rows per domain for the domain classifier (balanced, half train / half held-out). */
      confusion_max_per_domain: v.withDefault(v.integer({ min: 4 }), 1000),
      projection_points: v.withDefault(v.integer({ min: 2 }), 400),
    }),
  ),
  /** Also train few-shot-only from the raw backbone and write the ablation table. */
  ablation: v.withDefault(v.boolean(), false),
  /** TF-IDF + logistic regression rows (sequence classification only): true/false, or the settings. */
  baselines: v.withDefault(v.union([v.boolean(), Baselines]), true),
});

// The meaning of every top-level key: the generated table of src/train/README.md (npm run docs).
const lrText = (Object.entries(LR_DEFAULTS) as Array<[string, number]>).map(([k, x]) => `${k} ${x}`).join(', ');
export const PipelineSchema = v.docFields(PipelineFields, {
  model:
    'Hugging Face model folder (config.json, model.safetensors or pytorch_model.bin, tokenizer), or a hub model id `org/name[@revision]` (fetched into the shared Hugging Face cache; `HF_ENDPOINT`, `HF_TOKEN`, `HF_HUB_OFFLINE` apply) when no such folder exists',
  output: 'run folder: created new or empty; an existing run there is only continued with `adaptext train --resume`',
  seed: 'every random stream derives from it: splits, data order per epoch, dropout, MLM masks, the mixed sampler',
  max_length: "tokens per example (longer: truncated, keeping the final [SEP]); a stage's `max_length` overrides it",
  precision:
    'matmul precision of the linear layers (forward, dX and dW): `fp32`, or `bf16` = inputs rounded to bfloat16, products summed in fp32 (AVX512-BF16 kernel where the CPU has it, else emulated at fp32 speed); weights, gradients, optimizer state, LayerNorm, softmax, attention and losses stay fp32',
  features: 'what the discriminator, domain confusion and the projection read: `pooled`, `cls`, `mean`; `auto` = what the source task head reads',
  tasks:
    "per task name: `type` (sequence_classification | token_classification), `labels` in id order, `pooling` (auto = the pooler when the checkpoint trained it, else mean; or pooler, cls, mean), `classifier_dropout` (null = the model's)",
  source:
    'the labelled domain: `name` (its adapter), `task`, `train`/`validation`/`test` files or `labelled` + `split` {validation, test}, `unlabelled` (file or list), `reader` {format, text_field, label_field, tokens_field, tags_field, id_field, on_malformed: fail | skip | replace, header, delimiter, limit}',
  target: 'the new domain, as `source`, plus `few_shot` (its labelled file for stage 3)',
  freeze_layers: 'lower encoder layers (and the embeddings) frozen in stages 1–2 (`stage2.freeze_layers` may let stage 2 train more); null = floor(L/2)',
  adapters:
    'bottleneck adapters (AdapterHub `BnConfig`): `config` seq_bn | double_seq_bn, `reduction_factor`, `leave_out` (null = the frozen layers), `non_linearity`, `target_init` copy_source | fresh',
  optimizer: `AdamW with linear warm-up and decay; \`lr\` per group (unset: ${lrText}; embeddings = backbone, discriminator = adapters), weight decay not on biases/LayerNorm`,
  stage1: 'source warm-up; every stage also takes `enabled`, `max_length`, `max_steps`, `lr` {per group}, `warmup_ratio`',
  stage2:
    'alignment on mixed batches: `adversary` grl | confusion, `source_adapter` target | own, `freeze_layers` (null = the top-level value; lower trains more of the encoder, 0 the embeddings too), `centre_features` (per-domain feature centres), `refit_head` never | auto | always (re-probe the source head at each epoch end), `source_ratio`, MLM (`mlm_probability`, `whole_word_mask`), `loss_weights` (target_task > 0 = multi-task on few-shot rows; mmd > 0 = linear MMD between the batch features of the two domains), `lambda` schedule, `discriminator` {hidden_sizes, dropout, standardize}',
  stage3: 'few-shot target tuning of the target adapter and head (and the few-shot-only ablation): `shots`, `refit_head` never | auto | always',
  vocab: 'vocabulary expansion before stage 2 (WordPiece models): `top_k`, `min_frequency`, `candidate_vocab_size`, `train_embeddings`',
  checkpoint: 'resumable checkpoint cadence (also at every epoch end)',
  evaluation: 'batch size and the sample sizes of domain confusion and the 2-D projection',
  ablation: 'also train few-shot only from the raw backbone and write the ablation table',
  baselines:
    'TF-IDF + logistic regression rows (when both domains share a sequence task): true, false, or {`enabled`, `tfidf` {`analyzer`: auto | word | char | char_wb, `ngram_range` [lo, hi], null = [1, 2] for word, [1, 3] for char and char_wb}}; auto = char 1–3-grams when more than half of the letters of the training texts (source + target few-shot) are CJK (Han, Hiragana, Katakana, Hangul), else word 1–2-grams',
});

export type PipelineConfig = Infer<typeof PipelineSchema>;
export type DomainConfig = PipelineConfig['source'];
export type ReaderConfig = DomainConfig['reader'];
export type TaskConfig = PipelineConfig['tasks'][string];
export type LrConfig = Infer<typeof LrGroups>;
export type StageCommon = Omit<PipelineConfig['stage1'], 'head_init' | 'validate_at_start'> & { validate_at_start?: boolean };
export type Stage2Config = PipelineConfig['stage2'];
export type Stage3Config = PipelineConfig['stage3'];

/** One `--set key.path=value` override; the value is read as a YAML scalar/flow value (2, true, [1,2], "x"). */
export interface Override {
  path: string;
  value: unknown;
  /** Where it came from, for messages (e.g. `--set stage1.epochs=2`, `--seed`). */
  origin: string;
}

export function parseSetFlag(s: string): Override {
  const eq = s.indexOf('=');
  if (eq <= 0) throw new Error(`--set ${s}: expected key.path=value (e.g. --set stage1.epochs=2)`);
  const path = s.slice(0, eq).trim();
  if (!/^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$/.test(path)) throw new Error(`--set ${s}: bad key path ${JSON.stringify(path)}`);
  // `--set __proto__.max_steps=1` would otherwise reach Object.prototype and cap every stage
  const forbidden = path.split('.').find((k) => FORBIDDEN_KEYS.has(k));
  if (forbidden !== undefined) throw new Error(`--set ${s}: '${forbidden}' cannot be a config key`);
  let value: unknown;
  try {
    value = parseYaml(s.slice(eq + 1));
  } catch {
    value = s.slice(eq + 1);
  }
  return { path, value: value === null && s.slice(eq + 1).trim() === '' ? '' : value, origin: `--set ${s}` };
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

function applyOverride(root: Record<string, unknown>, o: Override): void {
  const keys = o.path.split('.');
  const bad = keys.find((k) => FORBIDDEN_KEYS.has(k));
  if (bad !== undefined) throw new Error(`${o.origin}: '${bad}' cannot be a config key`);
  let cur: Record<string, unknown> = root;
  for (const k of keys.slice(0, -1)) {
    const next = Object.hasOwn(cur, k) ? cur[k] : undefined; // never walk into inherited properties
    if (next === undefined || next === null) cur[k] = {};
    else if (typeof next !== 'object' || Array.isArray(next)) throw new Error(`${o.origin}: ${k} is not an object in the config`);
    cur = cur[k] as Record<string, unknown>;
  }
  cur[keys[keys.length - 1]!] = o.value;
}

/** Validate a raw config object (overrides already applied or given here). */
export function validateConfig(raw: unknown, source: string, baseDir: string, overrides: readonly Override[] = []): PipelineConfig {
  let obj = raw;
  if (overrides.length > 0) {
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) obj = {};
    obj = structuredClone(obj);
    for (const o of overrides) applyOverride(obj as Record<string, unknown>, o);
  }
  const where = overrides.length > 0 ? `${source} (with ${overrides.map((o) => o.origin).join(', ')})` : source;
  const cfg = validate(PipelineSchema, obj, { source: where, baseDir, freeze: false });
  const problems: string[] = [];
  for (const role of ['source', 'target'] as const) {
    const d = cfg[role];
    if (cfg.tasks[d.task] === undefined) {
      problems.push(`${role}.task: unknown task ${JSON.stringify(d.task)} (tasks: ${Object.keys(cfg.tasks).join(', ')})`);
    }
  }
  if (cfg.source.few_shot !== undefined) problems.push('source.few_shot: only the target domain has a few-shot set');
  if (cfg.source.name === cfg.target.name) problems.push(`target.name: the source and target domains must have different names (both ${JSON.stringify(cfg.source.name)})`);
  if (cfg.source.labelled === undefined && cfg.source.train === undefined) problems.push('source: needs labelled data (`train` or `labelled`)');
  if (cfg.target.test === undefined && cfg.target.labelled === undefined) problems.push('target: needs a test set (`test` or `labelled`)');
  if (cfg.stage3.enabled && cfg.target.few_shot === undefined && cfg.target.train === undefined && cfg.target.labelled === undefined) {
    problems.push('target: stage 3 needs labelled target examples (`few_shot`, `train` or `labelled`)');
  }
  if (cfg.stage2.enabled && cfg.target.unlabelled === undefined && cfg.target.train === undefined && cfg.target.labelled === undefined) {
    problems.push('target: stage 2 needs target text (`unlabelled`, or `train`/`labelled` used without labels)');
  }
  if (!cfg.stage1.enabled && !cfg.stage2.enabled && !cfg.stage3.enabled && !cfg.ablation) {
    problems.push('stage1/stage2/stage3: every stage is disabled (and no ablation): the run would train nothing; enable at least one');
  }
  if (problems.length > 0) throw new Error(`${where}: ${problems.join('; ')}`);
  return cfg;
}

/** Read, parse and validate a config file, with overrides (flags win over the file). */
export function loadPipelineConfig(file: string, overrides: readonly Override[] = []): PipelineConfig {
  return validateConfig(readConfigFile(file), file, dirname(resolve(file)), overrides);
}

/** The learning rate of each optimizer group for a stage: stage override → optimizer.lr → defaults. */
export function stageLrs(cfg: PipelineConfig, stage: { lr: LrConfig }): Required<LrConfig> {
  const pick = (k: keyof LrConfig): number | undefined => stage.lr[k] ?? cfg.optimizer.lr[k];
  const backbone = pick('backbone') ?? LR_DEFAULTS.backbone;
  const heads = pick('heads') ?? LR_DEFAULTS.heads;
  const adapters = pick('adapters') ?? LR_DEFAULTS.adapters;
  return {
    adapters,
    heads,
    backbone,
    embeddings: pick('embeddings') ?? backbone,
    discriminator: pick('discriminator') ?? adapters,
  };
}

/** Model-dependent defaults: frozen lower layers floor(L/2), adapters in the layers above. */
export function resolveModelDependent(cfg: PipelineConfig, numLayers: number): { freezeLayers: number; leaveOut: number[] } {
  const freezeLayers = cfg.freeze_layers ?? Math.floor(numLayers / 2);
  if (freezeLayers > numLayers) {
    throw new Error(`freeze_layers: ${freezeLayers} is more than the model's ${numLayers} layers`);
  }
  if (cfg.stage2.freeze_layers !== null && cfg.stage2.freeze_layers > numLayers) {
    throw new Error(`stage2.freeze_layers: ${cfg.stage2.freeze_layers} is more than the model's ${numLayers} layers`);
  }
  const leaveOut = cfg.adapters.leave_out ? [...cfg.adapters.leave_out] : Array.from({ length: freezeLayers }, (_, i) => i);
  for (const l of leaveOut) {
    if (l >= numLayers) throw new Error(`adapters.leave_out: layer ${l} does not exist (the model has ${numLayers} layers)`);
  }
  if (leaveOut.length >= numLayers) throw new Error(`adapters.leave_out: leaves out every one of the ${numLayers} layers; no adapter would remain`);
  return { freezeLayers, leaveOut };
}
