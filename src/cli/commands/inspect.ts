// `adaptext inspect MODEL_DIR [--json] [--freeze-layers N]`: what a model folder holds —
// architecture, parameter counts per optimizer group (total / trainable), adapters (config,
// the layers and slots they sit in), heads (type, labels), tokenizer, weight storage dtype.
//
// Accepted folders (see openModelFolder):
//   - a plain Hugging Face folder (config.json + model.safetensors [+ tokenizer files]);
//   - an adaptext model/checkpoint folder: the same + adaptext.json (adapters and flex heads
//     inside model.safetensors) and optionally `adapters/<name>/` (AdapterHub folders) and
//     `heads/<name>/` (head folders) saved alongside (run checkpoints, docs/run-format.md);
//   - a run folder (run.json + stage1/ stage2/ stage3/): its latest stage checkpoint.
// openModelFolder is also what `encode` uses, so both commands see the same model.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { readSafetensorsHeader } from '../../io/safetensors.js';
import { ADAPTER_CONFIG_NAME, HEAD_CONFIG_NAME, loadAdapter, loadHead, loadModel } from '../../models/index.js';
import type { AdapterModel, BnConfig, LoadInfo } from '../../models/index.js';
import { loadTokenizer, type Tokenizer } from '../../text/index.js';
import { latestFinishedStage } from '../../train/checkpoint.js';
import { intArg } from '../args.js';
import { formatCount } from '../../engine/format.js';

/** A model folder opened for the CLI: the model plus what was found around it. */
export interface OpenedModel {
  /** The folder the weights came from (a stage folder when a run folder was given). */
  dir: string;
  /** What kind of folder the user pointed at. */
  kind: 'hf' | 'adaptext' | 'run';
  model: AdapterModel;
  info: LoadInfo;
  /** Adapters loaded from `adapters/<name>/` (not already inside model.safetensors). */
  adapterFolders: string[];
  /** Heads loaded from `heads/<name>/`. */
  headFolders: string[];
  tokenizer: Tokenizer | null;
  /** Why there is no tokenizer (null when there is one). */
  tokenizerError: string | null;
  /** Storage dtypes of the weight files: dtype → number of tensors. */
  dtypes: Record<string, number>;
  /** Bytes of the weight files. */
  weightBytes: number;
  /** Something the user should know about which checkpoint was picked, or null. */
  note: string | null;
}

const STAGES = ['stage3', 'stage2', 'stage1'];

function isDir(p: string): boolean {
  return existsSync(p) && statSync(p).isDirectory();
}

/**
 * The folder holding config.json: `dir` itself, or a run folder's latest *finished* stage
 * (stage3 > stage2 > stage1, trainer_state.json `complete`, the rule predict/eval use); a run
 * with no finished stage falls back to its latest stage checkpoint, said in `note`.
 */
function modelDirOf(dir: string): { dir: string; run: boolean; note: string | null } {
  if (!existsSync(dir)) throw new Error(`${dir}: no such folder`);
  if (!statSync(dir).isDirectory()) throw new Error(`${dir}: is a file, expected a model folder (config.json + model.safetensors)`);
  if (existsSync(join(dir, 'config.json'))) return { dir, run: false, note: null };
  const finished = latestFinishedStage(dir);
  if (finished !== null) return { dir: finished, run: true, note: null };
  const stages = STAGES.map((s) => join(dir, s)).filter((d) => existsSync(join(d, 'config.json')));
  if (stages.length > 0) return { dir: stages[0]!, run: true, note: `no finished stage yet: showing the in-progress checkpoint ${stages[0]}` };
  throw new Error(`${dir}: not a model folder (no config.json) and not a run folder (no ${[...STAGES].reverse().join('/, ')}/ checkpoint)`);
}

function subfolders(dir: string, marker: string): string[] {
  if (!isDir(dir)) return [];
  return readdirSync(dir)
    .filter((n) => !n.startsWith('.') && existsSync(join(dir, n, marker)))
    .sort();
}

/** Load a model folder (see the file header) with its side adapters/heads and tokenizer. */
export function openModelFolder(path: string, opts: { seed?: number } = {}): OpenedModel {
  const { dir, run, note } = modelDirOf(path);
  const { model, info } = loadModel(dir, { seed: opts.seed });
  const adapterFolders: string[] = [];
  for (const name of subfolders(join(dir, 'adapters'), ADAPTER_CONFIG_NAME)) {
    const sub = join(dir, 'adapters', name);
    // A checkpoint may hold an adapter both inside model.safetensors and as a folder; the
    // model file wins (it is what the trainer saved last), the folder is for AdapterHub users.
    if (model.adapterNames().includes(name)) continue;
    loadAdapter(model, sub, { loadAs: name });
    adapterFolders.push(name);
  }
  const headFolders: string[] = [];
  for (const name of subfolders(join(dir, 'heads'), HEAD_CONFIG_NAME)) {
    if (model.headNames().includes(name)) continue;
    loadHead(model, join(dir, 'heads', name), { loadAs: name });
    headFolders.push(name);
  }
  let tokenizer: Tokenizer | null = null;
  let tokenizerError: string | null = null;
  try {
    tokenizer = loadTokenizer(dir);
  } catch (e) {
    tokenizerError = (e as Error).message;
  }
  const { dtypes, bytes } = weightFiles(dir);
  const kind = run ? 'run' : existsSync(join(dir, 'adaptext.json')) || adapterFolders.length + headFolders.length > 0 ? 'adaptext' : 'hf';
  return { dir, kind, model, info, adapterFolders, headFolders, tokenizer, tokenizerError, dtypes, weightBytes: bytes, note };
}

function weightFiles(dir: string): { dtypes: Record<string, number>; bytes: number } {
  const files = readdirSync(dir).filter((f) => f.endsWith('.safetensors'));
  const dtypes: Record<string, number> = {};
  let bytes = 0;
  for (const f of files) {
    const h = readSafetensorsHeader(join(dir, f));
    bytes += h.fileBytes;
    for (const t of h.tensors) dtypes[t.dtype] = (dtypes[t.dtype] ?? 0) + 1;
  }
  return { dtypes, bytes };
}

// ------------------------------------------------------------------ the report

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
    tokenizer:
      tok === null
        ? null
        : { kind: tok.kind, vocabSize: tok.vocabSize, modelMaxLength: tok.modelMaxLength ?? null, matchesModel: tok.vocabSize <= c.vocabSize },
    tokenizerError: o.tokenizerError,
    weights: { dtypes: o.dtypes, bytes: o.weightBytes },
    load: { ignored: o.info.ignored, initialized: o.info.initialized, adapterFolders: o.adapterFolders, headFolders: o.headFolders },
    note: o.note,
  };
}

// ------------------------------------------------------------------ text output

function fmtBytes(n: number): string {
  return n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : `${(n / 1024).toFixed(1)} KiB`;
}

/** Compact layer list: [6,7,8,9,11] → "6-9, 11". */
export function layerRanges(ls: readonly number[]): string {
  const out: string[] = [];
  for (let i = 0; i < ls.length; ) {
    let j = i;
    while (j + 1 < ls.length && ls[j + 1] === ls[j]! + 1) j++;
    out.push(j === i ? `${ls[i]}` : `${ls[i]}-${ls[j]}`);
    i = j + 1;
  }
  return out.join(', ');
}

export function formatInspect(r: InspectReport): string {
  const a = r.architecture;
  const lines: string[] = [];
  const where = r.dir === r.path ? r.dir : `${r.path} (latest checkpoint: ${r.dir})`;
  lines.push(`${where}  [${r.kind === 'hf' ? 'Hugging Face folder' : r.kind === 'run' ? 'run folder' : 'adaptext model folder'}]`);
  lines.push('');
  lines.push('architecture');
  lines.push(`  model type        ${a.modelType}${a.architectures.length > 0 ? `  (${a.architectures.join(', ')})` : ''}`);
  lines.push(`  layers            ${a.layers}`);
  lines.push(`  hidden            ${a.hidden}  (intermediate ${a.intermediate}, ${a.hiddenAct})`);
  lines.push(`  attention heads   ${a.attentionHeads}  (head size ${a.hidden / a.attentionHeads})`);
  lines.push(`  vocab             ${a.vocab}`);
  lines.push(`  max positions     ${a.maxPositions}  (token types ${a.typeVocab})`);
  const dt = Object.entries(r.weights.dtypes).map(([d, n]) => `${d} ×${n}`).join(', ');
  lines.push(`  weights           ${fmtBytes(r.weights.bytes)}${dt ? `  (${dt})` : ''}`);
  lines.push('');
  lines.push(`parameters${r.frozenLayers > 0 ? `  (with embeddings + layers 0-${r.frozenLayers - 1} frozen)` : ''}`);
  lines.push(`  ${'group'.padEnd(12)}${'total'.padStart(14)}${'trainable'.padStart(14)}`);
  for (const g of ['embeddings', 'backbone', 'adapters', 'heads', 'total'] as const) {
    const p = r.parameters[g];
    lines.push(`  ${g.padEnd(12)}${p.total.toLocaleString('en-US').padStart(14)}${p.trainable.toLocaleString('en-US').padStart(14)}`);
  }
  lines.push('');
  if (r.adapters.length === 0) lines.push('adapters          none');
  else {
    lines.push(`adapters          ${r.adapters.length} (active: ${r.activeAdapter ?? 'none'})`);
    for (const ad of r.adapters) {
      const rf = typeof ad.reductionFactor === 'number' ? String(ad.reductionFactor) : JSON.stringify(ad.reductionFactor);
      const widths = [...new Set(ad.bottleneck)].join('/');
      lines.push(
        `  ${ad.active ? '*' : ' '} ${ad.name.padEnd(14)} ${ad.preset}, reduction ${rf} (bottleneck ${widths}), ${ad.nonLinearity}, ` +
          `layers ${layerRanges(ad.layers)} [${ad.slots.join(' + ')}], ${formatCount(ad.parameters)} params`,
      );
    }
  }
  if (r.heads.length === 0) lines.push('heads             none');
  else {
    lines.push(`heads             ${r.heads.length}`);
    for (const h of r.heads) {
      const flags = [h.active ? 'active' : null, h.main ? 'main' : null].filter((x) => x !== null).join(', ');
      const labels = h.labels !== null ? `labels ${h.labels.join(', ')}` : h.numLabels !== null ? `${h.numLabels} labels` : '';
      lines.push(`    ${h.name.padEnd(14)} ${h.type}${labels ? `, ${labels}` : ''}, ${formatCount(h.parameters)} params${flags ? ` (${flags})` : ''}`);
    }
  }
  lines.push('');
  if (r.tokenizer !== null) {
    const t = r.tokenizer;
    lines.push(
      `tokenizer         ${t.kind === 'wordpiece' ? 'WordPiece' : 'byte-level BPE'}, vocab ${t.vocabSize}` +
        `${t.modelMaxLength !== null && t.modelMaxLength < 1e9 ? `, max length ${t.modelMaxLength}` : ''}` +
        `${t.matchesModel ? '' : `  (WARNING: more ids than the model's ${a.vocab} embedding rows)`}`,
    );
  } else lines.push(`tokenizer         none (${r.tokenizerError})`);
  if (r.note !== null) lines.push(`note: ${r.note}`);
  if (r.load.initialized.length > 0) lines.push(`note: not in the checkpoint, initialised fresh: ${r.load.initialized.join(', ')}`);
  if (r.load.adapterFolders.length > 0) lines.push(`note: adapters loaded from adapters/: ${r.load.adapterFolders.join(', ')}`);
  if (r.load.headFolders.length > 0) lines.push(`note: heads loaded from heads/: ${r.load.headFolders.join(', ')}`);
  return lines.join('\n') + '\n';
}

export function register(program: Command): void {
  program
    .command('inspect')
    .description('show a model folder: architecture, parameter counts per group, adapters, heads, tokenizer')
    .argument('<model_dir>', 'Hugging Face / adaptext model folder, a run checkpoint, or a run folder (latest stage)')
    .option('--json', 'print the report as JSON')
    .option('--freeze-layers <n>', 'count trainable parameters as if embeddings + the lower n layers were frozen', intArg('--freeze-layers', 0))
    .action((dir: string, o: { json?: boolean; freezeLayers?: number }) => {
      const report = inspectModel(dir, { freezeLayers: o.freezeLayers });
      process.stdout.write(o.json === true ? JSON.stringify(report, null, 2) + '\n' : formatInspect(report));
    });
}
