// Bottleneck adapters exactly as AdapterHub `adapters` (methods/modeling.py `Adapter`,
// methods/bottleneck.py `BottleneckLayer`, configuration/adapter_config.py `BnConfig`):
//   pre_forward:  residual = h (residual_before_ln); if original_ln_before: h = LN(h + x)
//   forward:      out = up(act(down(h))) * scaling; [+ residual; LN_after]; + residual
//   post_forward: if original_ln_after: out = LN(out + x)
// where h is the sub-block output after dense+dropout, x the sub-block input (residual) and
// LN the layer's own pretrained LayerNorm. Pfeiffer = `seq_bn` (after the FFN only),
// Houlsby = `double_seq_bn` (after attention and after the FFN).
//
// Names are AdapterHub's: `<prefix>encoder.layer.N.output.adapters.<name>.adapter_down.0.weight`,
// `...adapter_up.weight`, and `attention.output.adapters.<name>...` for the attention slot.
// One adapter per domain lives in each slot's dict; exactly one (or none) is active.
//
// Shape legend: B batch, T tokens, H hidden, D bottleneck size (H // reduction_factor).
import { add, scale, type Rng } from '../tensor/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { getActivation, type Activation } from '../nn/activations.js';
import { kaimingUniform_, normal_, truncNormal_ } from '../nn/init.js';
import { Dropout, LayerNorm, Linear } from '../nn/layers.js';
import { Module, ModuleDict } from '../nn/module.js';

/** AdapterHub BnConfig fields (snake_case, as written in `adapter_config.json`). */
export interface BnConfig {
  mh_adapter: boolean;
  output_adapter: boolean;
  reduction_factor: number | Record<string, number>;
  non_linearity: string;
  original_ln_before: boolean;
  original_ln_after: boolean;
  ln_before: boolean;
  ln_after: boolean;
  init_weights: 'bert' | 'houlsby' | 'mam_adapter';
  is_parallel: boolean;
  scaling: number;
  use_gating: boolean;
  residual_before_ln: boolean | 'post_add';
  adapter_residual_before_ln: boolean;
  inv_adapter: string | null;
  inv_adapter_reduction_factor: number | null;
  cross_adapter: boolean;
  leave_out: number[];
  dropout: number;
  phm_layer: boolean;
  phm_dim: number;
  factorized_phm_W: boolean;
  shared_W_phm: boolean;
  shared_phm_rule: boolean;
  factorized_phm_rule: boolean;
  phm_c_init: string;
  phm_init_range: number;
  learn_phm: boolean;
  hypercomplex_nonlinearity: string;
  phm_rank: number;
  phm_bias: boolean;
  stochastic_depth: number;
}

/** BnConfig defaults (adapter_config.py). */
const BN_DEFAULTS: Omit<BnConfig, 'mh_adapter' | 'output_adapter' | 'reduction_factor' | 'non_linearity'> = {
  original_ln_before: false,
  original_ln_after: true,
  ln_before: false,
  ln_after: false,
  init_weights: 'bert',
  is_parallel: false,
  scaling: 1.0,
  use_gating: false,
  residual_before_ln: true,
  adapter_residual_before_ln: false,
  inv_adapter: null,
  inv_adapter_reduction_factor: null,
  cross_adapter: false,
  leave_out: [],
  dropout: 0.0,
  phm_layer: false,
  phm_dim: 4,
  factorized_phm_W: true,
  shared_W_phm: false,
  shared_phm_rule: true,
  factorized_phm_rule: false,
  phm_c_init: 'normal',
  phm_init_range: 0.0001,
  learn_phm: true,
  hypercomplex_nonlinearity: 'glorot-uniform',
  phm_rank: 1,
  phm_bias: true,
  stochastic_depth: 0.0,
};

/** SeqBnConfig (Pfeiffer et al. 2020): one adapter after the FFN, relu, reduction 16. */
export const SEQ_BN: Readonly<BnConfig> = Object.freeze({
  ...BN_DEFAULTS,
  original_ln_before: true,
  original_ln_after: true,
  residual_before_ln: true,
  adapter_residual_before_ln: false,
  ln_before: false,
  ln_after: false,
  mh_adapter: false,
  output_adapter: true,
  non_linearity: 'relu',
  reduction_factor: 16,
});

/** DoubleSeqBnConfig (Houlsby et al. 2019): adapters after attention and after the FFN, swish, reduction 16. */
export const DOUBLE_SEQ_BN: Readonly<BnConfig> = Object.freeze({
  ...BN_DEFAULTS,
  original_ln_before: false,
  original_ln_after: true,
  residual_before_ln: true,
  adapter_residual_before_ln: false,
  ln_before: false,
  ln_after: false,
  mh_adapter: true,
  output_adapter: true,
  non_linearity: 'swish',
  reduction_factor: 16,
});

const NAMED_CONFIGS: Record<string, Readonly<BnConfig>> = {
  seq_bn: SEQ_BN,
  pfeiffer: SEQ_BN,
  double_seq_bn: DOUBLE_SEQ_BN,
  houlsby: DOUBLE_SEQ_BN,
};

/** What `addAdapter` accepts: a config name, or a name/base plus overrides (snake_case BnConfig keys). */
export type AdapterConfigSpec = string | (Partial<BnConfig> & { architecture?: string; base?: string });

/**
 * Resolve a spec into a full BnConfig. When `leave_out` is not given, adapters skip the lower
 * half of the layers (0 .. floor(L/2)-1), so they sit in the middle/upper layers; the list is
 * written explicitly into adapter_config.json so AdapterHub places them identically.
 */
export function resolveAdapterConfig(spec: AdapterConfigSpec, numLayers: number, where = 'addAdapter'): BnConfig {
  const base = typeof spec === 'string' ? spec : (spec.base ?? null);
  let cfg: BnConfig;
  if (base !== null) {
    const b = NAMED_CONFIGS[base];
    if (b === undefined) throw new Error(`${where}: unknown adapter config '${base}' (known: ${Object.keys(NAMED_CONFIGS).join(', ')})`);
    cfg = { ...b, leave_out: [...b.leave_out] };
  } else {
    cfg = { ...SEQ_BN, leave_out: [] };
  }
  let leaveOutGiven = false;
  if (typeof spec !== 'string') {
    for (const [k, v] of Object.entries(spec)) {
      if (k === 'base' || k === 'architecture') continue;
      if (!(k in cfg)) throw new Error(`${where}: unknown adapter config key '${k}'`);
      if (v === undefined) continue;
      (cfg as unknown as Record<string, unknown>)[k] = v;
      if (k === 'leave_out') leaveOutGiven = true;
    }
    if (spec.architecture !== undefined && spec.architecture !== null && spec.architecture !== 'bottleneck') {
      throw new Error(`${where}: adapter architecture '${spec.architecture}' is not supported (only bottleneck adapters)`);
    }
  }
  if (!leaveOutGiven) cfg.leave_out = Array.from({ length: Math.floor(numLayers / 2) }, (_, i) => i);
  validateBnConfig(cfg, numLayers, where);
  return cfg;
}

function validateBnConfig(c: BnConfig, numLayers: number, where: string): void {
  const unsupported = (what: string): never => {
    throw new Error(`${where}: ${what} is not supported (bottleneck adapters with sequential composition only)`);
  };
  if (c.is_parallel) unsupported('is_parallel=true (parallel adapters)');
  if (c.use_gating) unsupported('use_gating=true');
  if (c.phm_layer) unsupported('phm_layer=true (Compacter)');
  if (c.inv_adapter) unsupported(`inv_adapter='${c.inv_adapter}' (invertible adapters)`);
  if (c.stochastic_depth > 0) unsupported('stochastic_depth > 0');
  if (typeof c.scaling !== 'number') unsupported(`scaling='${String(c.scaling)}' (only a constant number)`);
  if (c.residual_before_ln === 'post_add' && !c.original_ln_before) {
    throw new Error(`${where}: residual_before_ln='post_add' needs original_ln_before=true`);
  }
  if (!['bert', 'houlsby', 'mam_adapter'].includes(c.init_weights)) {
    throw new Error(`${where}: unknown init_weights '${c.init_weights}' (bert, houlsby, mam_adapter)`);
  }
  if (!(c.dropout >= 0 && c.dropout < 1)) throw new Error(`${where}: dropout must be in [0, 1), got ${c.dropout}`);
  if (!c.mh_adapter && !c.output_adapter) throw new Error(`${where}: mh_adapter and output_adapter are both false: the adapter would be empty`);
  if (!Array.isArray(c.leave_out) || c.leave_out.some((i) => !Number.isInteger(i) || i < 0 || i >= numLayers)) {
    throw new Error(`${where}: leave_out must list layer indices in [0, ${numLayers}), got ${JSON.stringify(c.leave_out)}`);
  }
  getActivation(c.non_linearity, `${where}: non_linearity`);
  reductionFactorFor(c, 0, where);
}

/** reduction_factor for layer `layer`: a number, or a mapping {"<layer>": n, "default": n}. */
export function reductionFactorFor(c: BnConfig, layer: number, where = 'adapter'): number {
  const rf = c.reduction_factor;
  let v: unknown = rf;
  if (typeof rf === 'object' && rf !== null) {
    v = rf[String(layer)] ?? rf['default'];
    if (v === undefined) {
      throw new Error(`${where}: reduction_factor mapping has no entry for layer ${layer} and no 'default'`);
    }
  }
  if (typeof v !== 'number' || !(v > 0)) throw new Error(`${where}: reduction_factor must be a positive number, got ${JSON.stringify(v)}`);
  return v;
}

/** Ordered children like torch nn.Sequential: names "0", "1", ... */
class AdapterDown extends Module {
  constructor(readonly norm: LayerNorm | null, readonly linear: Linear, private readonly act: Activation) {
    super();
    if (norm !== null) this.registerModule('0', norm);
    this.registerModule(norm !== null ? '1' : '0', linear);
  }

  forward(x: Tensor): Tensor {
    return this.act(this.linear.forward(this.norm !== null ? this.norm.forward(x) : x));
  }
}

/** One bottleneck adapter block (AdapterHub `Adapter`). down: [D,H], up: [H,D]. */
export class BottleneckAdapter extends Module {
  readonly adapter_norm_before: LayerNorm | null = null;
  readonly adapter_down: AdapterDown;
  readonly adapter_up: Linear;
  readonly adapter_norm_after: LayerNorm | null = null;
  private readonly dropout: Dropout;

  constructor(readonly config: BnConfig, readonly inputSize: number, readonly downSample: number, rng: Rng) {
    super();
    const H = inputSize;
    if (config.ln_before) this.adapter_norm_before = this.registerModule('adapter_norm_before', new LayerNorm(H, 1e-5));
    const act = getActivation(config.non_linearity, 'adapter non_linearity');
    this.adapter_down = this.registerModule('adapter_down', new AdapterDown(this.adapter_norm_before, new Linear(H, downSample), act));
    this.adapter_up = this.registerModule('adapter_up', new Linear(downSample, H));
    if (config.ln_after) this.adapter_norm_after = this.registerModule('adapter_norm_after', new LayerNorm(H, 1e-5));
    this.dropout = new Dropout(config.dropout, rng); // no parameters; follows this.training below
    this.initWeights(rng);
  }

  /** AdapterHub init_weights: 'bert' N(0,0.02) (default), 'houlsby' trunc-normal 1e-2, 'mam_adapter' kaiming/zeros. */
  private initWeights(rng: Rng): void {
    const down = this.adapter_down.linear;
    const up = this.adapter_up;
    down.bias!.data.fill(0);
    up.bias!.data.fill(0);
    switch (this.config.init_weights) {
      case 'bert':
        normal_(down.weight.data, 0.02, rng);
        normal_(up.weight.data, 0.02, rng);
        break;
      case 'houlsby':
        truncNormal_(down.weight.data, 1e-2, -2e-2, 2e-2, rng);
        truncNormal_(up.weight.data, 1e-2, -2e-2, 2e-2, rng);
        break;
      case 'mam_adapter':
        kaimingUniform_(down.weight.data, this.inputSize, Math.sqrt(5), rng);
        up.weight.data.fill(0);
        break;
    }
  }

  /**
   * pre_forward + forward + post_forward for one active adapter.
   * h: sub-block output after dense+dropout [B,T,H]; x: sub-block input [B,T,H]; ln: the layer's LayerNorm.
   */
  run(h: Tensor, x: Tensor, ln: LayerNorm): Tensor {
    const c = this.config;
    // pre_forward
    let residual: Tensor | null = c.residual_before_ln === true ? h : null;
    if (c.original_ln_before) {
      h = add(h, x);
      if (c.residual_before_ln === 'post_add') residual = h;
      h = ln.forward(h);
    }
    if (c.residual_before_ln === false) residual = h;
    // forward
    let out = this.adapter_up.forward(this.adapter_down.forward(h)); // [B,T,H]
    if (c.scaling !== 1) out = scale(out, c.scaling);
    this.dropout.training = this.training;
    out = this.dropout.forward(out);
    if (c.adapter_residual_before_ln) out = add(out, residual!);
    if (this.adapter_norm_after !== null) out = this.adapter_norm_after.forward(out);
    if (!c.adapter_residual_before_ln) out = add(out, residual!);
    // post_forward
    if (c.original_ln_after) out = ln.forward(add(out, x));
    return out;
  }

  /** State-dict entries with AdapterHub's duplicate name for ln_before (`adapter_down.0.*` is the same LayerNorm). */
  aliasNames(local: string): string[] {
    if (this.adapter_norm_before !== null && local.startsWith('adapter_norm_before.')) {
      return [local, `adapter_down.0.${local.slice('adapter_norm_before.'.length)}`];
    }
    return [local];
  }
}

export type AdapterLocation = 'mh_adapter' | 'output_adapter';

/**
 * Base of BertSelfOutput / BertOutput: the `adapters` dict and the bottleneck forward
 * (AdapterHub BottleneckLayer.bottleneck_layer_forward for a single active adapter).
 */
export abstract class AdapterSlot extends Module {
  adapters!: ModuleDict<BottleneckAdapter>;
  /** Name of the active adapter, or null (plain `LN(h + x)`). Set by the model for all slots. */
  active: string | null = null;

  constructor(readonly location: AdapterLocation, protected readonly slotRng: Rng) {
    super();
  }

  /** Subclasses call this after registering dense/LayerNorm/dropout, keeping torch's key order. */
  protected registerAdapters(): void {
    this.adapters = this.registerModule('adapters', new ModuleDict<BottleneckAdapter>());
  }

  bottleneckForward(h: Tensor, x: Tensor, ln: LayerNorm): Tensor {
    const a = this.active === null ? undefined : this.adapters.get(this.active);
    if (a === undefined) return ln.forward(add(h, x));
    return a.run(h, x, ln);
  }
}

/** The two slots of one encoder layer (structural type of BertLayer). */
export interface AdapterHost {
  attention: { output: AdapterSlot };
  output: AdapterSlot;
}

/**
 * Insert adapter `name` with config `cfg` into every layer not in leave_out, at the
 * locations the config asks for. Down size = max(1, floor(H / reduction_factor)) like AdapterHub.
 */
export function insertAdapter(layers: readonly AdapterHost[], name: string, cfg: BnConfig, hidden: number, rng: Rng): void {
  layers.forEach((layer, i) => {
    if (cfg.leave_out.includes(i)) return;
    const down = Math.max(1, Math.floor(hidden / reductionFactorFor(cfg, i)));
    if (cfg.mh_adapter) layer.attention.output.adapters.set(name, new BottleneckAdapter(cfg, hidden, down, rng));
    if (cfg.output_adapter) layer.output.adapters.set(name, new BottleneckAdapter(cfg, hidden, down, rng));
  });
}

export function removeAdapter(layers: readonly AdapterHost[], name: string): void {
  for (const layer of layers) {
    layer.attention.output.adapters.delete(name);
    layer.output.adapters.delete(name);
  }
}

export function activateAdapter(layers: readonly AdapterHost[], name: string | null): void {
  for (const layer of layers) {
    layer.attention.output.active = name;
    layer.output.active = name;
  }
}

/** AdapterHub's filter: a parameter belongs to adapter `name` iff its key contains `.adapters.<name>.`. */
export function isAdapterParam(key: string, name?: string): boolean {
  return name === undefined ? key.includes('.adapters.') : key.includes(`.adapters.${name}.`);
}

/** The adapter name inside a parameter key, or null. */
export function adapterNameOf(key: string): string | null {
  const m = /\.adapters\.([^.]+)\./.exec(key);
  return m === null ? null : m[1]!;
}

/** `adapter_config.json` as AdapterHub's `build_full_config` writes it (keys sorted on write). */
export interface AdapterConfigFile {
  config: BnConfig;
  hidden_size: number;
  model_class: string;
  model_name: string | null;
  model_type: string;
  name: string;
  version: string;
}

/** AdapterHub version string we claim compatibility with (`adapters.<semver>`). */
export const ADAPTERS_VERSION = 'adapters.1.1.0';
export const ADAPTER_CONFIG_NAME = 'adapter_config.json';
export const ADAPTER_WEIGHTS_NAME = 'adapter.safetensors';
export const ADAPTER_PICKLE_NAME = 'pytorch_adapter.bin';

/** Old AdapterHub configs (no "version") used "gelu" for the tanh approximation (ACTIVATION_RENAME). */
export function parseAdapterConfigFile(obj: unknown, file: string, numLayers: number): AdapterConfigFile {
  if (typeof obj !== 'object' || obj === null) throw new Error(`${file}: expected a JSON object`);
  const o = obj as Record<string, unknown>;
  if (typeof o['name'] !== 'string') throw new Error(`${file}: field 'name' must be a string`);
  if (typeof o['config'] !== 'object' || o['config'] === null) throw new Error(`${file}: field 'config' must be an object`);
  const raw = { ...(o['config'] as Record<string, unknown>) };
  if (o['version'] === undefined && typeof raw['non_linearity'] === 'string') {
    const rename: Record<string, string> = { gelu: 'gelu_new', gelu_orig: 'gelu' };
    raw['non_linearity'] = rename[raw['non_linearity']] ?? raw['non_linearity'];
  }
  // Unknown keys from newer AdapterHub versions are kept out; the BnConfig keys we know are checked.
  const known: Partial<BnConfig> = {};
  for (const k of Object.keys(BN_DEFAULTS).concat(['mh_adapter', 'output_adapter', 'reduction_factor', 'non_linearity'])) {
    if (k in raw) (known as Record<string, unknown>)[k] = raw[k];
  }
  if (raw['architecture'] != null && raw['architecture'] !== 'bottleneck') {
    throw new Error(`${file}: adapter architecture '${String(raw['architecture'])}' is not supported (only bottleneck adapters)`);
  }
  for (const req of ['mh_adapter', 'output_adapter', 'reduction_factor', 'non_linearity'] as const) {
    if (!(req in known)) throw new Error(`${file}: config is missing required field '${req}'`);
  }
  const config = resolveAdapterConfig({ ...known, leave_out: (known.leave_out as number[] | undefined) ?? [] }, numLayers, file);
  return {
    config,
    hidden_size: Number(o['hidden_size']),
    model_class: String(o['model_class'] ?? ''),
    model_name: (o['model_name'] as string | null | undefined) ?? null,
    model_type: String(o['model_type'] ?? ''),
    name: o['name'],
    version: String(o['version'] ?? ''),
  };
}
