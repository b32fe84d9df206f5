// Shared helpers for the model tests: fixture paths, golden inputs, tensor comparison.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { readSafetensors } from '../../src/io/safetensors.js';
import { loadAdapter, loadModel } from '../../src/models/load.js';
import type { AdapterModel } from '../../src/models/model.js';
import type { HeadSpec } from '../../src/models/heads.js';
import type { BertInput } from '../../src/models/bert.js';
import type { BertFamilyConfig } from '../../src/models/config.js';
import { scaledDiff } from '../support/close.js';

export const FIXTURES = join(process.cwd(), 'test', 'fixtures', 'models');

export interface Golden {
  input_ids: number[][];
  attention_mask: number[][];
  token_type_ids: number[][] | null;
  labels?: Record<string, number[] | number[][]>;
  losses?: Record<string, number>;
  loss?: number;
  grl_lambda?: number;
  inactive_adapter_params?: string[];
}

export function readGolden(name: string): { meta: Golden; tensors: Map<string, { shape: number[]; data: Float32Array }> } {
  const dir = join(FIXTURES, name);
  const meta = JSON.parse(readFileSync(join(dir, 'golden.json'), 'utf8')) as Golden;
  return { meta, tensors: readSafetensors(join(dir, 'golden.safetensors')) };
}

export function inputOf(g: Golden): BertInput {
  const B = g.input_ids.length;
  const T = g.input_ids[0]!.length;
  return {
    inputIds: Int32Array.from(g.input_ids.flat()),
    shape: [B, T],
    attentionMask: Float32Array.from(g.attention_mask.flat()),
    tokenTypeIds: g.token_type_ids === null ? null : Int32Array.from(g.token_type_ids.flat()),
  };
}

export function labelsOf(v: number[] | number[][]): Int32Array {
  return Int32Array.from((v as number[][]).flat ? (v as number[][]).flat() : (v as number[]));
}

export interface Diff {
  name: string;
  maxAbs: number;
  /** max |a-b| / max |b|: error relative to the tensor's scale. */
  rel: number;
  /** The golden tensor is (numerically) zero: compared absolutely. */
  zero?: boolean;
}

export function diff(name: string, got: Float32Array, want: Float32Array): Diff {
  if (got.length !== want.length) throw new Error(`${name}: length ${got.length} vs golden ${want.length}`);
  // A mathematically-zero golden tensor (the key-bias gradient: softmax cancels it exactly) is
  // compared absolutely (|Δ| / 1e-4, so the 1e-4 relative tolerance means |Δ| <= 1e-8);
  // otherwise the error is relative to the tensor's largest magnitude. NaN anywhere in `got`
  // (where the golden is finite) makes maxAbs and rel Infinity (test/support/close.ts).
  const d = scaledDiff(got, want, name);
  const zero = d.scale < 1e-8;
  return { name, maxAbs: d.maxAbs, rel: d.maxAbs === 0 ? 0 : d.maxAbs / (zero ? 1e-4 : d.scale), zero };
}

/** A scalar (a loss) as a Diff: relative to |want|. NaN gives Infinity. */
export function scalarDiff(name: string, got: number, want: number): Diff {
  const d = scaledDiff([got], [want], name);
  return { name, maxAbs: d.maxAbs, rel: d.maxAbs === 0 ? 0 : d.maxAbs / Math.abs(want) };
}

export function worst(diffs: Diff[]): Diff {
  return diffs.reduce((a, b) => (b.rel > a.rel ? b : a));
}

/** A tiny BERT config for unit tests (4 layers so leave_out / freezing have room). */
export const TINY: BertFamilyConfig = {
  model_type: 'bert',
  vocab_size: 50,
  hidden_size: 16,
  num_hidden_layers: 4,
  num_attention_heads: 2,
  intermediate_size: 32,
  max_position_embeddings: 24,
  type_vocab_size: 2,
  hidden_dropout_prob: 0.1,
  attention_probs_dropout_prob: 0.1,
};

export function batch(B = 2, T = 6, seed = 1): BertInput {
  const ids = new Int32Array(B * T);
  let s = seed;
  for (let i = 0; i < ids.length; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    ids[i] = 3 + (s % 40);
  }
  const mask = new Float32Array(B * T).fill(1);
  for (let t = T - 2; t < T; t++) {
    mask[T + t] = 0;
    ids[T + t] = 0;
  }
  return { inputIds: ids, shape: [B, T], attentionMask: mask };
}

/** The tiny golden BERT/RoBERTa with both adapters (target active), its heads and the extras (head weights) of the fixture; eval mode. */
export function setupFull(kind: 'bert' | 'roberta'): { model: AdapterModel; heads: Record<string, HeadSpec> } {
  const dir = join(FIXTURES, `${kind}_tiny`);
  const { model, info } = loadModel(dir);
  assert.deepEqual(info.heads, { mlm: 'masked_lm' });
  assert.deepEqual(info.initialized, []);
  const prefix = kind === 'bert' ? 'bert.' : 'roberta.';
  assert.ok(info.ignored.includes(`${prefix}embeddings.position_ids`), 'position_ids buffer ignored');
  if (kind === 'bert') {
    assert.ok(info.ignored.includes('cls.seq_relationship.weight'), 'NSP head ignored');
    assert.ok(info.ignored.includes('cls.predictions.decoder.weight'), 'tied decoder copy ignored');
  } else assert.ok(info.ignored.includes('lm_head.decoder.weight'));
  loadAdapter(model, join(dir, 'adapters', 'target'));
  loadAdapter(model, join(dir, 'adapters', 'source'));
  model.setActiveAdapter('target');
  const heads: Record<string, HeadSpec> =
    kind === 'bert'
      ? {
          sentiment: { type: 'sequence_classification', numLabels: 2, style: 'bert' },
          domain: { type: 'domain_discriminator', numDomains: 2, hiddenSizes: [16] },
        }
      : {
          topic: { type: 'sequence_classification', numLabels: 3, style: 'roberta' },
          ner: { type: 'token_classification', numLabels: 5 },
          domain: { type: 'domain_discriminator', numDomains: 2, hiddenSizes: [16] },
        };
  for (const [n, s] of Object.entries(heads)) model.addHead(n, s);
  const extras = readSafetensors(join(dir, 'extras.safetensors'));
  const own = model.stateDict();
  for (const [k, t] of extras) {
    const p = own.get(k);
    assert.ok(p !== undefined, `extras tensor ${k} has a model parameter`);
    assert.deepEqual([...p.shape], t.shape, k);
    p.data.set(t.data);
  }
  model.eval(); // dropout off, like the reference
  return { model, heads };
}
