// AdapterModel: a BERT/RoBERTa encoder + per-domain adapters + named heads — the model users
// train (like AdapterHub's BertAdapterModel / RobertaAdapterModel, "flex heads").
//
// Parameter names (the model's state dict):
//   <bert|roberta>.embeddings.word_embeddings.weight, <prefix>.encoder.layer.N.attention.self.query.weight, ...
//   <prefix>.encoder.layer.N.output.adapters.<domain>.adapter_down.0.weight        (AdapterHub)
//   <prefix>.encoder.layer.N.attention.output.adapters.<domain>.adapter_up.weight  (Houlsby)
//   heads.<name>.<idx>.weight                                                     (AdapterHub flex heads)
// When saved as a Hugging Face folder, the *main* head is written under its HF names
// (`classifier.*`, `cls.predictions.*`, `lm_head.*`) and the backbone keeps the `bert.`/`roberta.`
// prefix, so `BertForSequenceClassification.from_pretrained(dir)` finds every tensor it needs;
// other heads stay under `heads.<name>.*` and adapters under their AdapterHub names (HF ignores
// both with its usual "unused weights" notice). See save.ts.
//
// Shape legend: B batch, T tokens, H hidden.
import { add, scale, Rng } from '../tensor/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { initBertWeights } from '../nn/init.js';
import { Module, ModuleDict } from '../nn/module.js';
import type { Parameter } from '../nn/parameter.js';
import {
  activateAdapter,
  insertAdapter,
  isAdapterParam,
  removeAdapter,
  resolveAdapterConfig,
  type AdapterConfigSpec,
  type BnConfig,
} from './adapters.js';
import { BertModel, type BertInput } from './bert.js';
import { resolveConfig, type BertFamilyConfig, type ResolvedConfig } from './config.js';
import { createHead, HEAD_POOLINGS, MaskedLMHead, poolSequence, type DomainCentre, type Head, type HeadPooling, type HeadResult, type HeadSpec } from './heads.js';

export interface AdapterModelOptions {
  /** Seed of the model's Rng (init of new weights, dropout masks). Default 42. */
  seed?: number;
  /** Skip HF weight init (the caller is about to load every tensor). Default false. */
  skipInit?: boolean;
}

export interface ForwardOptions {
  /** Heads to run (default: the active heads). Unknown names throw. */
  heads?: readonly string[];
  /** Labels per head name (see each head for the layout); heads with labels contribute to `loss`. */
  labels?: Readonly<Record<string, Int32Array | null | undefined>>;
  /** Weight of each head's loss in the total (default 1). */
  lossWeights?: Readonly<Record<string, number>>;
  /** Gradient-reversal λ for domain discriminators (one number for all, or per head name). */
  grlLambda?: number | Readonly<Record<string, number>>;
  /**
   * The domain of the batch's rows, whose centre (setDomainCentre) the pooled-vector heads
   * subtract. Default: the active adapter's name (adapters are named after their domain).
   */
  domain?: string | null;
}

export interface ModelOutput {
  lastHiddenState: Tensor; // [B,T,H]
  pooledOutput: Tensor; // [B,H]
  attentionMask: Float32Array | null;
  /** The rows' domain centre the heads subtracted (null: none). */
  centre: DomainCentre | null;
  /** Per head: logits and (when labels were given) loss. */
  heads: Record<string, HeadResult>;
  /** Weighted sum of the head losses, or null when no head got labels. */
  loss: Tensor | null;
}

export interface ParamGroups {
  backbone: Parameter[];
  embeddings: Parameter[];
  adapters: Parameter[];
  heads: Parameter[];
}

export type Pooling = 'cls' | 'mean' | 'pooler';

export class AdapterModel extends Module {
  readonly cfg: ResolvedConfig;
  readonly base: BertModel;
  readonly heads: ModuleDict<Head>;
  readonly rng: Rng;
  /** 'bert' or 'roberta': the HF base_model_prefix. */
  readonly prefixName: 'bert' | 'roberta';
  private readonly adapterCfgs = new Map<string, BnConfig>();
  private active: string | null = null;
  private activeHeadNames: string[] = [];
  private main: string | null = null;

  private cfgJson: BertFamilyConfig;
  /**
   * Whether the pooler holds trained weights. A model built here starts it at random (false);
   * loading sets it from the checkpoint (src/models/checkpoint.ts poolerTrainedOf). Saved in
   * adaptext.json; decides the default pooling of new classification heads in the pipeline.
   */
  poolerTrained = false;
  private readonly centres = new Map<string, DomainCentre>();

  constructor(config: BertFamilyConfig, opts: AdapterModelOptions = {}) {
    super();
    this.cfgJson = config;
    this.cfg = resolveConfig(config);
    this.rng = new Rng(opts.seed ?? 42);
    this.prefixName = this.cfg.family;
    this.base = this.registerModule(this.prefixName, new BertModel(this.cfg, this.rng));
    this.heads = this.registerModule('heads', new ModuleDict<Head>());
    if (opts.skipInit !== true) initBertWeights(this.base, this.cfg.initializerRange, this.rng);
    this.assignParameterNames();
  }

  /** The HF config (config.json fields); vocab_size follows resizeTokenEmbeddings. */
  get config(): BertFamilyConfig {
    return this.cfgJson;
  }

  get prefix(): string {
    return `${this.prefixName}.`;
  }

  get numLayers(): number {
    return this.cfg.numLayers;
  }

  // ---------------------------------------------------------------- adapters

  /**
   * Add a bottleneck adapter for one domain. spec: 'seq_bn' (Pfeiffer, default), 'double_seq_bn'
   * (Houlsby), or {base, ...BnConfig overrides} e.g. {base: 'seq_bn', reduction_factor: 8, leave_out: [0,1]}.
   */
  addAdapter(name: string, spec: AdapterConfigSpec = 'seq_bn', opts: { setActive?: boolean; overwrite?: boolean } = {}): BnConfig {
    checkKey(name, 'addAdapter');
    if (this.adapterCfgs.has(name)) {
      if (opts.overwrite !== true) throw new Error(`addAdapter: adapter '${name}' already exists (pass overwrite: true to replace it)`);
      this.deleteAdapter(name);
    }
    const cfg = resolveAdapterConfig(spec, this.cfg.numLayers, `addAdapter('${name}')`);
    insertAdapter(this.base.layers, name, cfg, this.cfg.hiddenSize, this.rng);
    this.adapterCfgs.set(name, cfg);
    if (opts.setActive === true) this.setActiveAdapter(name);
    this.assignParameterNames();
    return cfg;
  }

  deleteAdapter(name: string): void {
    if (!this.adapterCfgs.delete(name)) throw new Error(`deleteAdapter: no adapter '${name}'`);
    removeAdapter(this.base.layers, name);
    if (this.active === name) this.setActiveAdapter(null);
  }

  /** Exactly one adapter (or none) runs per forward pass; the others are untouched. */
  setActiveAdapter(name: string | null): void {
    if (name !== null && !this.adapterCfgs.has(name)) {
      throw new Error(`setActiveAdapter: no adapter '${name}' (have: ${this.adapterNames().join(', ') || 'none'})`);
    }
    this.active = name;
    activateAdapter(this.base.layers, name);
  }

  get activeAdapter(): string | null {
    return this.active;
  }

  adapterNames(): string[] {
    return [...this.adapterCfgs.keys()];
  }

  adapterConfig(name: string): BnConfig {
    const c = this.adapterCfgs.get(name);
    if (c === undefined) throw new Error(`adapterConfig: no adapter '${name}'`);
    return c;
  }

  /** The parameters of one adapter with their full names. */
  adapterParameters(name: string): Array<[string, Parameter]> {
    if (!this.adapterCfgs.has(name)) throw new Error(`adapterParameters: no adapter '${name}'`);
    return this.namedParameters().filter(([k]) => isAdapterParam(k, name));
  }

  // ---------------------------------------------------------------- heads

  addHead(name: string, spec: HeadSpec, opts: { setActive?: boolean; main?: boolean; overwrite?: boolean } = {}): Head {
    checkKey(name, 'addHead');
    if (this.heads.has(name)) {
      if (opts.overwrite !== true) throw new Error(`addHead: head '${name}' already exists (pass overwrite: true to replace it)`);
      this.deleteHead(name);
    }
    const head = createHead(spec, this.cfg, this.rng);
    head.train(this.training);
    this.heads.set(name, head);
    if (opts.setActive !== false) this.activeHeadNames.push(name);
    if (opts.main === true || (this.main === null && head.hfArchitecture(this.cfg.family) !== null)) this.main = name;
    this.assignParameterNames();
    return head;
  }

  deleteHead(name: string): void {
    if (!this.heads.delete(name)) throw new Error(`deleteHead: no head '${name}'`);
    this.activeHeadNames = this.activeHeadNames.filter((n) => n !== name);
    if (this.main === name) this.main = null;
  }

  getHead(name: string): Head {
    const h = this.heads.get(name);
    if (h === undefined) throw new Error(`no head '${name}' (have: ${this.heads.keys().join(', ') || 'none'})`);
    return h;
  }

  headNames(): string[] {
    return this.heads.keys();
  }

  /** Heads run by default in forward(). */
  setActiveHeads(names: readonly string[]): void {
    for (const n of names) this.getHead(n);
    this.activeHeadNames = [...names];
  }

  get activeHeads(): readonly string[] {
    return this.activeHeadNames;
  }

  /** The head written under HF names when saving an HF folder (decides `architectures`). */
  /**
   * The head inference uses by default and the one a saved folder presents to Hugging Face: when
   * HF has a class for it (`hfArchitecture`), it is written under HF names (`classifier.*`) and
   * `architectures` names that class; otherwise (e.g. a mean-pooling head) it stays under
   * `heads.<name>.*` and only adaptext.json records it as the main head.
   */
  setMainHead(name: string | null): void {
    if (name !== null) this.getHead(name); // throws on an unknown name
    this.main = name;
  }

  get mainHead(): string | null {
    return this.main;
  }

  // ---------------------------------------------------------------- domain centres

  /**
   * Fix `domain`'s centre: the mean of its pooled vectors (`pooling`) over its text. From then on,
   * rows of that domain (ForwardOptions.domain, default the active adapter) reach every head that
   * reads that pooling as `pooled − mean`. Saved in adaptext.json.
   */
  setDomainCentre(domain: string, pooling: HeadPooling, mean: ArrayLike<number>): void {
    checkKey(domain, 'setDomainCentre');
    if (!HEAD_POOLINGS.includes(pooling)) throw new Error(`setDomainCentre('${domain}'): pooling must be one of ${HEAD_POOLINGS.join(', ')}, got '${String(pooling)}'`);
    const H = this.cfg.hiddenSize;
    if (mean.length !== H) throw new Error(`setDomainCentre('${domain}'): mean has ${mean.length} values, the hidden size is ${H}`);
    const m = Float32Array.from(mean);
    const bad = m.findIndex((x) => !Number.isFinite(x));
    if (bad >= 0) throw new Error(`setDomainCentre('${domain}'): mean[${bad}] is ${m[bad]}`);
    this.centres.set(domain, { pooling, mean: m });
  }

  domainCentre(domain: string): DomainCentre | null {
    return this.centres.get(domain) ?? null;
  }

  domainCentreNames(): string[] {
    return [...this.centres.keys()];
  }

  private centreFor(domain: string | null | undefined): DomainCentre | null {
    const d = domain === undefined ? this.active : domain;
    return d === null ? null : (this.centres.get(d) ?? null);
  }

  // ---------------------------------------------------------------- forward

  forward(input: BertInput, opts: ForwardOptions = {}): ModelOutput {
    const enc = this.base.forward(input);
    const names = opts.heads ?? this.activeHeadNames;
    const ctx = {
      sequenceOutput: enc.lastHiddenState,
      pooledOutput: enc.pooledOutput,
      attentionMask: enc.attentionMask,
      shape: input.shape,
      wordEmbeddings: this.base.embeddings.word_embeddings.weight,
      centre: this.centreFor(opts.domain),
    };
    const results: Record<string, HeadResult> = {};
    let loss: Tensor | null = null;
    for (const n of names) {
      const head = this.getHead(n);
      const labels = opts.labels?.[n] ?? null;
      const g = opts.grlLambda;
      const grlLambda = typeof g === 'number' ? g : g?.[n];
      const r = head.forward(ctx, labels, grlLambda === undefined ? {} : { grlLambda });
      results[n] = r;
      if (r.loss !== null) {
        const w = opts.lossWeights?.[n] ?? 1;
        const term = w === 1 ? r.loss : scale(r.loss, w);
        loss = loss === null ? term : add(loss, term);
      }
    }
    if (opts.labels !== undefined) {
      for (const k of Object.keys(opts.labels)) {
        if (!names.includes(k)) throw new Error(`forward: labels given for '${k}', which is not among the heads run (${names.join(', ')})`);
      }
    }
    return { lastHiddenState: enc.lastHiddenState, pooledOutput: enc.pooledOutput, attentionMask: enc.attentionMask, centre: ctx.centre, heads: results, loss };
  }

  /**
   * One vector per sequence: [CLS] hidden state, masked mean of the last layer, or the pooler
   * output — minus the domain's centre when `domain` is given and has one of this pooling (what
   * the heads read).
   */
  encode(input: BertInput, pooling: Pooling = 'cls', domain?: string): Tensor {
    if (!HEAD_POOLINGS.includes(pooling)) throw new Error(`encode: unknown pooling '${String(pooling)}' (cls, mean, pooler)`);
    const enc = this.base.forward(input);
    const centre = domain === undefined ? null : this.centreFor(domain);
    return poolSequence({ sequenceOutput: enc.lastHiddenState, pooledOutput: enc.pooledOutput, attentionMask: enc.attentionMask, centre }, pooling);
  }

  // ---------------------------------------------------------------- vocabulary

  /**
   * Resize the word embeddings to `newSize` rows (vocabulary expansion). Row i >= old size is the
   * mean of the old rows `init.get(i)` (FVT: the embeddings of its old sub-tokens) or, without an
   * entry, N(0, initializer_range) like HF `resize_token_embeddings`. MLM decoders follow (tied
   * ones automatically; biases get 0 for new rows). Build the optimizer after resizing.
   */
  resizeTokenEmbeddings(newSize: number, opts: { init?: ReadonlyMap<number, readonly number[]> } = {}): void {
    const old = this.cfg.vocabSize;
    if (!Number.isInteger(newSize) || newSize < 1) throw new Error(`resizeTokenEmbeddings: size must be a positive integer, got ${newSize}`);
    const emb = this.base.embeddings.word_embeddings;
    const oldW = emb.weight.data; // [old,H]
    const H = this.cfg.hiddenSize;
    const std = this.cfg.initializerRange;
    emb.resize(newSize, (row, i) => {
      const src = opts.init?.get(i);
      if (src === undefined || src.length === 0) {
        for (let j = 0; j < H; j++) row[j] = std * this.rng.normal();
        return;
      }
      for (const id of src) {
        if (!Number.isInteger(id) || id < 0 || id >= old) {
          throw new Error(`resizeTokenEmbeddings: init for new row ${i} uses id ${id}, outside the old vocabulary [0, ${old})`);
        }
        for (let j = 0; j < H; j++) row[j]! += oldW[id * H + j]! / src.length;
      }
    });
    for (const h of this.heads.values()) if (h instanceof MaskedLMHead) h.resizeVocab(newSize, this.rng);
    this.cfg.vocabSize = newSize;
    this.cfgJson = { ...this.cfgJson, vocab_size: newSize };
    this.assignParameterNames();
  }

  /** Architecture summary for `adaptext inspect`: sizes, parameter counts, adapters and heads. */
  summary(): {
    modelType: string;
    layers: number;
    hidden: number;
    heads: number;
    vocab: number;
    parameters: ReturnType<AdapterModel['countParameters']>;
    adapters: Array<{ name: string; config: BnConfig; active: boolean; parameters: number }>;
    predictionHeads: Array<{ name: string; type: string; active: boolean; main: boolean; parameters: number }>;
  } {
    return {
      modelType: this.cfg.modelType,
      layers: this.cfg.numLayers,
      hidden: this.cfg.hiddenSize,
      heads: this.cfg.numHeads,
      vocab: this.cfg.vocabSize,
      parameters: this.countParameters(),
      adapters: this.adapterNames().map((name) => ({
        name,
        config: this.adapterConfig(name),
        active: this.active === name,
        parameters: this.adapterParameters(name).reduce((n, [, p]) => n + p.size, 0),
      })),
      predictionHeads: this.headNames().map((name) => ({
        name,
        type: this.getHead(name).type,
        active: this.activeHeadNames.includes(name),
        main: this.main === name,
        parameters: this.getHead(name).parameters().reduce((n, p) => n + p.size, 0),
      })),
    };
  }

  // ---------------------------------------------------------------- freezing & groups

  /** Freeze the embeddings and encoder layers 0..n-1 (backbone weights only; adapters keep their own flag). */
  freezeLayers(n: number): void {
    if (!Number.isInteger(n) || n < 0 || n > this.cfg.numLayers) {
      throw new Error(`freezeLayers: n must be an integer in [0, ${this.cfg.numLayers}], got ${n}`);
    }
    const layerRe = new RegExp(`^${this.prefixName}\\.encoder\\.layer\\.(\\d+)\\.`);
    for (const [k, p] of this.namedParameters()) {
      if (isAdapterParam(k)) continue;
      const m = layerRe.exec(k);
      if ((n > 0 && k.startsWith(`${this.prefix}embeddings.`)) || (m !== null && Number(m[1]) < n)) p.setTrainable(false);
    }
  }

  /**
   * Set `requiresGrad` of every parameter whose full name matches: a RegExp, or a glob where
   * `*` matches within one dotted segment and `**` across segments
   * (e.g. `bert.encoder.layer.*.attention.**`). Returns the names changed; none matching throws.
   */
  setTrainableByPattern(pattern: string | RegExp, trainable: boolean): string[] {
    const re = typeof pattern === 'string' ? globToRegExp(pattern) : pattern;
    const hit: string[] = [];
    for (const [k, p] of this.namedParameters()) {
      if (re.test(k)) {
        p.setTrainable(trainable);
        hit.push(k);
      }
    }
    if (hit.length === 0) throw new Error(`setTrainableByPattern: '${String(pattern)}' matches no parameter`);
    return hit;
  }

  freeze(pattern: string | RegExp): string[] {
    return this.setTrainableByPattern(pattern, false);
  }

  unfreeze(pattern: string | RegExp): string[] {
    return this.setTrainableByPattern(pattern, true);
  }

  unfreezeAll(): void {
    for (const p of this.parameters()) p.setTrainable(true);
  }

  /**
   * Stage-3 setup: freeze everything, then make trainable only the given adapters and heads
   * (AdapterHub `train_adapter` + head). Other domains' adapters stay frozen.
   */
  trainOnly(sel: { adapters?: readonly string[]; heads?: readonly string[] }): void {
    for (const a of sel.adapters ?? []) if (!this.adapterCfgs.has(a)) throw new Error(`trainOnly: no adapter '${a}'`);
    for (const h of sel.heads ?? []) this.getHead(h);
    for (const [k, p] of this.namedParameters()) {
      const adapterOk = (sel.adapters ?? []).some((a) => isAdapterParam(k, a));
      const headOk = (sel.heads ?? []).some((h) => k.startsWith(`heads.${h}.`));
      p.setTrainable(adapterOk || headOk);
    }
  }

  /** Parameters by optimizer group (trainable only unless includeFrozen). */
  paramGroups(opts: { includeFrozen?: boolean } = {}): ParamGroups {
    const g: ParamGroups = { backbone: [], embeddings: [], adapters: [], heads: [] };
    for (const [k, p] of this.namedParameters()) {
      if (!p.requiresGrad && opts.includeFrozen !== true) continue;
      g[groupOf(k, this.prefix)].push(p);
    }
    return g;
  }

  /** Parameter counts per group: total and trainable. */
  countParameters(): Record<keyof ParamGroups | 'total', { total: number; trainable: number }> {
    const out = {
      backbone: { total: 0, trainable: 0 },
      embeddings: { total: 0, trainable: 0 },
      adapters: { total: 0, trainable: 0 },
      heads: { total: 0, trainable: 0 },
      total: { total: 0, trainable: 0 },
    };
    for (const [k, p] of this.namedParameters()) {
      for (const key of [groupOf(k, this.prefix), 'total'] as const) {
        out[key].total += p.size;
        if (p.requiresGrad) out[key].trainable += p.size;
      }
    }
    return out;
  }
}

function groupOf(name: string, prefix: string): keyof ParamGroups {
  if (name.startsWith('heads.')) return 'heads';
  if (isAdapterParam(name)) return 'adapters';
  if (name.startsWith(`${prefix}embeddings.`)) return 'embeddings';
  return 'backbone';
}

/** Glob over dotted names: `*` = one segment (no dots), `**` = anything, `?` = one non-dot char. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        re += '.*';
        i++;
      } else re += '[^.]*';
    } else if (c === '?') re += '[^.]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

function checkKey(name: string, where: string): void {
  // names become folder and file names: a length bound keeps them portable (and ENAMETOOLONG away)
  if (typeof name !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(name)) {
    throw new Error(`${where}: name '${String(name).slice(0, 80)}' must be 1 to 64 letters, digits, '_' or '-'`);
  }
}
