// `adaptext export`: one domain's model (encoder + that domain's adapters + its task head) as a
// standalone ONNX graph in a folder laid out the way transformers.js and optimum expect a local
// model, so `pipeline('text-classification', folder)` (JS) or onnxruntime (any language) run it:
//
//   config.json                 the HF config + architectures, id2label / label2id
//   tokenizer.json, tokenizer_config.json, vocab.txt | vocab.json + merges.txt, special_tokens_map.json
//                               (model_max_length = the run's max_length, so truncation matches)
//   onnx/model.onnx             fp32
//   onnx/model_quantized.onnx   int8 dynamic quantization (--quantize int8)
//   adaptext_export.json        what was exported from where: source, adapter, head, labels, opset, sha256 per file
//   index.html, app.js, vendor/ the browser page (--web, see web.ts)
//
// The folder is built in a temp sibling and renamed into place: a failed export leaves nothing
// half-written, and an existing non-empty folder is replaced only with `overwrite`.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { checkNewOutputDir, writeDirAtomic } from '../io/atomic.js';
import { lockDir } from '../io/lock.js';
import { packageVersion } from '../io/package-info.js';
import { openForInference, type InferenceModel } from '../train/inference.js';
import { buildOnnxGraph, encodeOnnx, OPSET, type WeightFormat } from './onnx/index.js';
import { writeWebPage } from './web.js';

export interface ExportOptions {
  /** Run folder (latest finished stage) or model folder. */
  model: string;
  /** Domain whose adapter (and, for a run, task head) is exported. */
  domain?: string;
  head?: string;
  output: string;
  /** Also write onnx/model_quantized.onnx (int8). */
  quantize?: boolean;
  /** Also write the browser page (index.html + app.js + the transformers.js / onnxruntime-web files). */
  web?: boolean;
  overwrite?: boolean;
}

export interface ExportedFile {
  path: string;
  bytes: number;
  sha256: string;
}

export interface ExportResult {
  output: string;
  adapter: string | null;
  head: string;
  labels: string[];
  task: 'sequence_classification' | 'token_classification';
  maxLength: number;
  files: ExportedFile[];
  seconds: number;
  notes: string[];
}

/** HF `architectures` for the exported head. */
function architecture(m: InferenceModel): string {
  const fam = m.model.cfg.family === 'roberta' ? 'Roberta' : 'Bert';
  return `${fam}For${m.task.type === 'token_classification' ? 'TokenClassification' : 'SequenceClassification'}`;
}

function exportConfig(m: InferenceModel): Record<string, unknown> {
  const labels = m.task.labels;
  return {
    ...m.model.config,
    architectures: [architecture(m)],
    id2label: Object.fromEntries(labels.map((l, i) => [String(i), l])),
    label2id: Object.fromEntries(labels.map((l, i) => [l, i])),
  };
}

/**
 * The tokenizer files. A sequence model truncates inside its graph (see ExportSelection.truncate),
 * so its tokenizer has no model_max_length; a token model's tokenizer truncates at the run's length.
 */
function writeTokenizer(m: InferenceModel, dir: string, graphTruncates: boolean): void {
  m.tokenizer.save(dir);
  const file = join(dir, 'tokenizer_config.json');
  const cfg = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  if (graphTruncates) delete cfg['model_max_length'];
  else cfg['model_max_length'] = m.maxLength;
  writeFileSync(file, JSON.stringify(cfg, null, 2) + '\n');
}

function record(dir: string, rel: string, bytes?: Uint8Array): ExportedFile {
  const data = bytes ?? readFileSync(join(dir, rel));
  return { path: rel, bytes: bytes?.byteLength ?? statSync(join(dir, rel)).size, sha256: createHash('sha256').update(data).digest('hex') };
}

/** Export `o.model` for one domain; returns what was written. */
export function exportModel(o: ExportOptions): ExportResult {
  const t0 = performance.now();
  if (o.overwrite !== true) checkNewOutputDir(o.output, 'pass --overwrite to replace it');
  const m = openForInference(o.model, { domain: o.domain, head: o.head });
  if (m.task.type !== 'sequence_classification' && m.task.type !== 'token_classification') {
    throw new Error(`${o.model}: head '${m.head}' is not a classification head`);
  }
  const graphTruncates = m.task.type === 'sequence_classification';
  const sel = { adapter: m.adapter, domain: m.domain, head: m.head, ...(graphTruncates ? { truncate: { maxLength: m.maxLength, endTokenId: m.tokenizer.specialIds.sep } } : {}) };
  const formats: WeightFormat[] = o.quantize === true ? ['fp32', 'int8'] : ['fp32'];
  const out = resolve(o.output);
  mkdirSync(dirname(out), { recursive: true });
  const lock = lockDir(dirname(out), 'export', `.${basename(out)}.adaptext.lock`);
  const files: ExportedFile[] = [];
  try {
    if (o.overwrite !== true) checkNewOutputDir(o.output, 'pass --overwrite to replace it'); // again, under the lock
    writeDirAtomic(out, (tmp) => {
      writeFileSync(join(tmp, 'config.json'), JSON.stringify(exportConfig(m), null, 2) + '\n');
      writeTokenizer(m, tmp, graphTruncates);
      mkdirSync(join(tmp, 'onnx'));
      for (const w of formats) {
        const rel = w === 'fp32' ? 'onnx/model.onnx' : 'onnx/model_quantized.onnx';
        const bytes = encodeOnnx(buildOnnxGraph(m.model, sel, w), sel, { weights: w, max_length: String(m.maxLength) });
        writeFileSync(join(tmp, rel), bytes);
        files.push(record(tmp, rel, bytes));
      }
      for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json']) files.push(record(tmp, f));
      if (o.web === true)
        for (const f of writeWebPage(tmp, { quantized: o.quantize === true, labels: m.task.labels, title: `${basename(out)} (${m.adapter ?? 'no adapter'}, ${m.head})` })) files.push(record(tmp, f));
      const info = {
        adaptext_version: packageVersion(),
        source: resolve(o.model),
        source_stage: m.dir,
        adapter: m.adapter,
        head: m.head,
        task: m.task.type,
        labels: m.task.labels,
        max_length: m.maxLength,
        truncation: graphTruncates ? 'in the graph (feed untruncated ids)' : 'by the tokenizer (model_max_length)',
        opset: OPSET,
        inputs: m.model.cfg.family === 'bert' ? ['input_ids', 'attention_mask', 'token_type_ids'] : ['input_ids', 'attention_mask'],
        output: 'logits',
        files: files.map((f) => ({ ...f })),
      };
      writeFileSync(join(tmp, 'adaptext_export.json'), JSON.stringify(info, null, 2) + '\n');
    });
  } finally {
    lock.release();
  }
  return { output: out, adapter: m.adapter, head: m.head, labels: [...m.task.labels], task: m.task.type, maxLength: m.maxLength, files, seconds: (performance.now() - t0) / 1000, notes: m.notes };
}
