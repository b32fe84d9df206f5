// `inspectModel`: what a model folder holds — architecture, parameter counts per optimizer group
// (total / trainable), adapters (config, the layers and slots they sit in), heads (type, labels),
// tokenizer, weight storage dtype — as a plain object (`adaptext inspect` prints it, `--json` as is).
import type { AdapterModel, BnConfig } from '../models/index.js';
import { openModelFolder, type OpenedModel } from './model-folder.js';

export interface AdapterReport {
  name: string;
  active: boolean;
  /** Named preset the config equals ('seq_bn', 'double_seq_bn') or 'custom'. */
  preset: string;
  reductionFactor: BnConfig['reduction_factor'];
  nonLinearity: string;
  /** Layers that hold this adapter, ascending. */
  layers: number[];
  /** Slots per layer: 'attention.output' (mh_adapter) and/or 'output' (output_adapter). */
  slots: string[];
  /** Bottleneck width per layer (H / reduction factor), same order as `layers`. */
  bottleneck: number[];
  parameters: number;
  config: BnConfig;
}

export interface HeadReport {
  name: string;
  type: string;
  active: boolean;
  main: boolean;
  labels: string[] | null;
  numLabels: number | null;
  parameters: number;
  config: Record<string, unknown>;
}

export interface InspectReport {
  path: string;
  dir: string;
  kind: OpenedModel['kind'];
  architecture: {
    modelType: string;
    family: 'bert' | 'roberta';
    layers: number;
    hidden: number;
    attentionHeads: number;
    intermediate: number;
    vocab: number;
    maxPositions: number;
    typeVocab: number;
    hiddenAct: string;
    architectures: string[];
  };
  parameters: ReturnType<AdapterModel['countParameters']>;
  frozenLayers: number;
  adapters: AdapterReport[];
  activeAdapter: string | null;
  heads: HeadReport[];
  tokenizer: { kind: string; vocabSize: number; modelMaxLength: number | null; matchesModel: boolean } | null;
  tokenizerError: string | null;
  weights: { dtypes: Record<string, number>; bytes: number };
  load: { ignored: string[]; initialized: string[]; adapterFolders: string[]; headFolders: string[] };
  note: string | null;
}

function presetOf(c: BnConfig): string {
  // The two presets differ in these fields; everything else at its default means "the preset".
  const sig = (x: BnConfig): string =>
    JSON.stringify([x.mh_adapter, x.output_adapter, x.non_linearity, x.original_ln_before, x.original_ln_after, x.ln_before, x.ln_after, x.scaling, x.residual_before_ln]);
  if (sig(c) === JSON.stringify([false, true, 'relu', true, true, false, false, 1, true])) return 'seq_bn';
  if (sig(c) === JSON.stringify([true, true, 'swish', false, true, false, false, 1, true])) return 'double_seq_bn';
  return 'custom';
}

const ADAPTER_KEY_RE = /\.encoder\.layer\.(\d+)\.(attention\.output|output)\.adapters\.[^.]+\.adapter_down\.\d\.weight$/;

function adapterReport(model: AdapterModel, name: string): AdapterReport {
  const config = model.adapterConfig(name);
  const params = model.adapterParameters(name);
  const layers = new Set<number>();
  const slots = new Set<string>();
  const width = new Map<number, number>();
  for (const [k, p] of params) {
    const m = ADAPTER_KEY_RE.exec(k);
    if (m === null || p.ndim !== 2) continue;
    // adapter_down.N.weight [D,H] (N=1 when ln_before puts a LayerNorm at 0, which is 1-D)
    const layer = Number(m[1]);
    layers.add(layer);
    slots.add(m[2]!);
    width.set(layer, p.shape[0]!);
  }
  const sorted = [...layers].sort((a, b) => a - b);
  return {
    name,
    active: model.activeAdapter === name,
    preset: presetOf(config),
    reductionFactor: config.reduction_factor,
    nonLinearity: config.non_linearity,
    layers: sorted,
    slots: [...slots].sort(),
    bottleneck: sorted.map((l) => width.get(l)!),
    parameters: params.reduce((n, [, p]) => n + p.size, 0),
    config,
  };
}

function headReport(model: AdapterModel, name: string): HeadReport {
  const h = model.getHead(name);
  const spec = h.spec as { numLabels?: number; numDomains?: number };
  return {
    name,
    type: h.type,
    active: model.activeHeads.includes(name),
    main: model.mainHead === name,
    labels: h.labelNames(),
    numLabels: spec.numLabels ?? spec.numDomains ?? null,
    parameters: h.parameters().reduce((n, p) => n + p.size, 0),
    config: h.headConfig(),
  };
}

export function inspectModel(path: string, opts: { freezeLayers?: number } = {}): InspectReport {
  const o = openModelFolder(path);
  const m = o.model;
  const frozen = opts.freezeLayers ?? 0;
  if (frozen > 0) m.freezeLayers(frozen);
  const c = m.cfg;
  const tok = o.tokenizer;
  return {
    path,
    dir: o.dir,
    kind: o.kind,
    architecture: {
      modelType: c.modelType,
      family: c.family,
      layers: c.numLayers,
      hidden: c.hiddenSize,
      attentionHeads: c.numHeads,
      intermediate: c.intermediateSize,
      vocab: c.vocabSize,
      maxPositions: c.maxPositions,
      typeVocab: c.typeVocabSize,
      hiddenAct: c.hiddenAct,
      architectures: [...(m.config.architectures ?? [])],
    },
    parameters: m.countParameters(),
    frozenLayers: frozen,
    adapters: m.adapterNames().map((n) => adapterReport(m, n)),
    activeAdapter: m.activeAdapter,
    heads: m.headNames().map((n) => headReport(m, n)),
    tokenizer: tok === null ? null : { kind: tok.kind, vocabSize: tok.vocabSize, modelMaxLength: tok.modelMaxLength ?? null, matchesModel: tok.vocabSize <= c.vocabSize },
    tokenizerError: o.tokenizerError,
    weights: { dtypes: o.dtypes, bytes: o.weightBytes },
    load: { ignored: o.info.ignored, initialized: o.info.initialized, adapterFolders: o.adapterFolders, headFolders: o.headFolders },
    note: o.note,
  };
}
