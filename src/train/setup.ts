// Model set-up per stage: which adapters and heads exist, which parameters train, and the
// optimizer with one parameter group per kind of parameter.
//
// Adapters per domain (the method: one adapter per domain, exactly one active per forward pass):
//   stage 1  source adapter (created here) + upper backbone layers + the source task head;
//   stage 2  the target adapter is created as a copy of the trained source adapter
//            (adapters.target_init: copy_source; or fresh = near identity); each mixed batch is
//            split by domain and every row runs through ITS OWN domain's adapter (two/three
//            forward passes per step, see stage2.ts); both adapters, the upper backbone, the task
//            head(s), the MLM head and the discriminator train;
//   stage 3  only the target adapter and the target task head train (AdapterModel.trainOnly).
import type { AdapterConfigSpec } from '../models/adapters.js';
import { SequenceClassificationHead, type AdapterModel, type HeadPooling, type HeadSpec } from '../models/index.js';
import { AdamW, linearWarmupDecaySchedule, warmupStepsFromRatio, type ParamGroupSpec } from '../optim/index.js';
import type { Parameter } from '../nn/parameter.js';
import type { PipelineConfig, TaskConfig } from './config.js';

export const DISCRIMINATOR_HEAD = 'domain';
export const MLM_HEAD = 'mlm';

export function adapterSpec(cfg: PipelineConfig, leaveOut: readonly number[]): AdapterConfigSpec {
  const spec: AdapterConfigSpec = { base: cfg.adapters.config, reduction_factor: cfg.adapters.reduction_factor, leave_out: [...leaveOut] };
  if (cfg.adapters.non_linearity !== undefined) spec.non_linearity = cfg.adapters.non_linearity;
  return spec;
}

/**
 * What a new sequence-classification head of this task reads on this model: the configured
 * pooling, or (auto) the pooler when the checkpoint's pooler was trained, else the masked mean —
 * RoBERTa-style heads keep their own <s> reading (they never use the pooler).
 */
export function taskPooling(model: AdapterModel, task: TaskConfig): HeadPooling {
  if (task.pooling !== 'auto') return task.pooling;
  if (model.cfg.family === 'roberta') return 'cls';
  return model.poolerTrained ? 'pooler' : 'mean';
}

export function taskHeadSpec(model: AdapterModel, task: TaskConfig): HeadSpec {
  const dropout = task.classifier_dropout ?? undefined;
  return task.type === 'token_classification'
    ? { type: 'token_classification', numLabels: task.labels.length, labels: [...task.labels], dropout }
    : { type: 'sequence_classification', numLabels: task.labels.length, labels: [...task.labels], pooling: taskPooling(model, task), dropout };
}

/**
 * The features of the discriminator, the domain classifier and the projection: the configured
 * kind, or (auto) what the source task head reads — alignment acts on the vector the task uses.
 */
export function featureKind(cfg: PipelineConfig, model: AdapterModel): 'pooled' | 'cls' | 'mean' {
  if (cfg.features !== 'auto') return cfg.features;
  const task = cfg.tasks[cfg.source.task]!;
  if (task.type === 'token_classification') return model.poolerTrained ? 'pooled' : 'mean';
  const head = model.headNames().includes(cfg.source.task) ? model.getHead(cfg.source.task) : null;
  const pooling = head instanceof SequenceClassificationHead ? head.pooling : taskPooling(model, task);
  return pooling === 'pooler' ? 'pooled' : pooling;
}

export function ensureAdapter(model: AdapterModel, name: string, spec: AdapterConfigSpec): void {
  if (!model.adapterNames().includes(name)) model.addAdapter(name, spec);
}

/** The task head keyed by task name; an existing head of another shape is an error, not silently reused. */
export function ensureTaskHead(model: AdapterModel, name: string, task: TaskConfig): void {
  const spec = taskHeadSpec(model, task);
  if (model.headNames().includes(name)) {
    const h = model.getHead(name);
    const labels = h.labelNames();
    if (h.type !== spec.type || (labels !== null && labels.join('\u0000') !== task.labels.join('\u0000'))) {
      throw new Error(`head '${name}' in the model is a ${h.type} head with labels [${labels?.join(', ') ?? '?'}], the config wants ${spec.type} with [${task.labels.join(', ')}]`);
    }
    return;
  }
  model.addHead(name, spec, { setActive: false });
}

/** The model's masked-LM head (a pretrained one when the checkpoint has it), else a new one. */
export function ensureMlmHead(model: AdapterModel): string {
  const existing = model.headNames().find((h) => model.getHead(h).type === 'masked_lm');
  if (existing !== undefined) return existing;
  model.addHead(MLM_HEAD, { type: 'masked_lm' }, { setActive: false });
  return MLM_HEAD;
}

export function ensureDiscriminator(model: AdapterModel, cfg: PipelineConfig, domains: [string, string]): string {
  if (!model.headNames().includes(DISCRIMINATOR_HEAD)) {
    const d = cfg.stage2.discriminator;
    model.addHead(
      DISCRIMINATOR_HEAD,
      {
        type: 'domain_discriminator',
        numDomains: 2,
        labels: [...domains],
        hiddenSizes: d.hidden_sizes ? [...d.hidden_sizes] : undefined,
        dropout: d.dropout,
        features: featureKind(cfg, model),
        adversary: cfg.stage2.adversary,
        standardize: d.standardize,
      },
      { setActive: false },
    );
  }
  return DISCRIMINATOR_HEAD;
}

/**
 * The adapter the source domain's rows run through from stage 2 on (stage2.source_adapter):
 * the target adapter by default, else the source domain's own. Training (pipeline stage 2) and
 * evaluation (stage-eval) both ask here, so they cannot disagree.
 */
export function stage2SourceAdapter(cfg: PipelineConfig, source: string, target: string): string {
  return cfg.stage2.source_adapter === 'target' ? target : source;
}

/** New adapter `to` with the config and (copy_source) the weights of adapter `from`. */
export function copyAdapter(model: AdapterModel, from: string, to: string): void {
  model.addAdapter(to, model.adapterConfig(from));
  const src = new Map(model.adapterParameters(from).map(([k, p]) => [k.replace(`.adapters.${from}.`, `.adapters.${to}.`), p]));
  for (const [k, p] of model.adapterParameters(to)) {
    const s = src.get(k);
    if (s === undefined) throw new Error(`copyAdapter: no source tensor for ${k}`);
    p.data.set(s.data);
  }
}

/**
 * Trainable set: the backbone above `freezeLayers` (embeddings frozen when freezeLayers > 0,
 * unless trainWordEmbeddings), the named adapters and heads; everything else frozen.
 */
export function setTrainable(model: AdapterModel, sel: { freezeLayers: number; adapters: readonly string[]; heads: readonly string[]; trainWordEmbeddings?: boolean }): void {
  model.unfreezeAll();
  model.freezeLayers(sel.freezeLayers);
  if (sel.trainWordEmbeddings === true) model.base.embeddings.word_embeddings.weight.setTrainable(true);
  for (const a of model.adapterNames()) {
    if (!sel.adapters.includes(a)) for (const [, p] of model.adapterParameters(a)) p.setTrainable(false);
  }
  for (const h of model.headNames()) {
    if (!sel.heads.includes(h)) for (const p of model.getHead(h).parameters()) p.setTrainable(false);
  }
}

export interface GroupLrs {
  adapters: number;
  heads: number;
  backbone: number;
  embeddings: number;
  discriminator: number;
}

/**
 * AdamW over the trainable parameters, one group per kind (always all five groups, some may be
 * empty, so a checkpoint's group list never depends on the data), with linear warm-up + decay.
 */
export function buildOptimizer(model: AdapterModel, lrs: GroupLrs, opts: { totalSteps: number; warmupRatio: number; weightDecay: number; betas: readonly number[]; eps: number }): AdamW {
  // Parameters in name order: a model rebuilt from a checkpoint lists heads and adapters in its
  // sidecar's (sorted) order, not in the order they were added, and the global grad norm is a
  // float sum whose last bits depend on the order — resumed runs must add in the same order.
  const byName = (a: Parameter, b: Parameter) => (a.name! < b.name! ? -1 : a.name! > b.name! ? 1 : 0);
  const raw = model.paramGroups();
  const g = { backbone: raw.backbone.sort(byName), embeddings: raw.embeddings.sort(byName), adapters: raw.adapters.sort(byName), heads: raw.heads.sort(byName) };
  const disc = new Set<Parameter>(model.headNames().includes(DISCRIMINATOR_HEAD) ? model.getHead(DISCRIMINATOR_HEAD).parameters() : []);
  const groups: ParamGroupSpec[] = [
    { name: 'backbone', params: g.backbone, lr: lrs.backbone },
    { name: 'embeddings', params: g.embeddings, lr: lrs.embeddings },
    { name: 'adapters', params: g.adapters, lr: lrs.adapters },
    { name: 'heads', params: g.heads.filter((p) => !disc.has(p)), lr: lrs.heads },
    { name: 'discriminator', params: g.heads.filter((p) => disc.has(p)), lr: lrs.discriminator },
  ];
  for (const x of groups) x.noDecayOnBiasAndNorm = true;
  const total = Math.max(1, opts.totalSteps);
  const schedule = linearWarmupDecaySchedule(warmupStepsFromRatio(opts.warmupRatio, total), total);
  return new AdamW(groups, { schedule, weightDecay: opts.weightDecay, betas: [opts.betas[0]!, opts.betas[1]!], eps: opts.eps });
}
