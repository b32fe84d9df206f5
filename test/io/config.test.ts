// HF config.json: defaults per model_type, validation naming file and field, and a lossless
// load -> save -> load round trip that keeps fields adaptext does not model.
import assert from 'node:assert/strict';
import { describe, it, before, after } from 'node:test';
import { readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_DEFAULTS, configFromJson, configToJson, isRobertaFamily, loadConfig, makeConfig, saveConfig, type BertConfig } from '../../src/io/config.js';
import { tmp as tempFolder } from '../support/tmp.js';

let tmp: string;
before(() => {
  tmp = tempFolder('adaptext-cfg-');
});
after(() => rmSync(tmp, { recursive: true, force: true }));

// The config.json files published with bert-base-chinese and roberta-base (field for field).
const BERT_BASE_CHINESE = {
  architectures: ['BertForMaskedLM'],
  attention_probs_dropout_prob: 0.1,
  directionality: 'bidi',
  hidden_act: 'gelu',
  hidden_dropout_prob: 0.1,
  hidden_size: 768,
  initializer_range: 0.02,
  intermediate_size: 3072,
  layer_norm_eps: 1e-12,
  max_position_embeddings: 512,
  model_type: 'bert',
  num_attention_heads: 12,
  num_hidden_layers: 12,
  pad_token_id: 0,
  pooler_fc_size: 768,
  pooler_num_attention_heads: 12,
  pooler_num_fc_layers: 3,
  pooler_size_per_head: 128,
  pooler_type: 'first_token_transform',
  type_vocab_size: 2,
  vocab_size: 21128,
};
const ROBERTA_BASE = {
  architectures: ['RobertaForMaskedLM'],
  attention_probs_dropout_prob: 0.1,
  bos_token_id: 0,
  eos_token_id: 2,
  hidden_act: 'gelu',
  hidden_dropout_prob: 0.1,
  hidden_size: 768,
  initializer_range: 0.02,
  intermediate_size: 3072,
  layer_norm_eps: 1e-5,
  max_position_embeddings: 514,
  model_type: 'roberta',
  num_attention_heads: 12,
  num_hidden_layers: 12,
  pad_token_id: 1,
  type_vocab_size: 1,
  vocab_size: 50265,
};

function writeConfig(name: string, obj: unknown): string {
  const dir = join(tmp, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), typeof obj === 'string' ? obj : JSON.stringify(obj, null, 2));
  return dir;
}

/** The one-line error of loading `obj` as `name/config.json`. */
function loadError(name: string, obj: unknown): string {
  const dir = writeConfig(name, obj);
  try {
    loadConfig(dir);
  } catch (e) {
    const msg = (e as Error).message;
    assert.ok(!msg.includes('\n'), msg);
    assert.ok(msg.startsWith(join(dir, 'config.json')), `does not name the file: ${msg}`);
    return msg.slice(join(dir, 'config.json').length + 2);
  }
  assert.fail('expected an error');
}

describe('config: loading real configs', () => {
  it('bert-base-chinese: fields typed, defaults filled, unknown HF fields kept, frozen', () => {
    const c = loadConfig(writeConfig('bbc', BERT_BASE_CHINESE));
    assert.equal(c.model_type, 'bert');
    assert.equal(c.vocab_size, 21128);
    assert.equal(c.hidden_act, 'gelu');
    assert.equal(c.position_embedding_type, 'absolute');
    assert.equal(c.classifier_dropout, null);
    assert.equal(c.tie_word_embeddings, true);
    assert.equal(c.bos_token_id, null);
    assert.equal(c['pooler_type'], 'first_token_transform');
    assert.ok(!isRobertaFamily(c));
    assert.ok(Object.isFrozen(c) && Object.isFrozen(c.architectures));
    assert.throws(() => {
      (c as { vocab_size: number }).vocab_size = 1;
    }, TypeError);
  });

  it('roberta-base', () => {
    const c = loadConfig(writeConfig('rb', ROBERTA_BASE));
    assert.equal(c.model_type, 'roberta');
    assert.equal(c.pad_token_id, 1);
    assert.equal(c.layer_norm_eps, 1e-5);
    assert.equal(c.type_vocab_size, 1);
    assert.ok(isRobertaFamily(c));
  });

  it('loadConfig accepts the config.json path itself', () => {
    const dir = writeConfig('path', ROBERTA_BASE);
    assert.equal(loadConfig(join(dir, 'config.json')).vocab_size, 50265);
  });

  it('round trip: load -> save -> file has every original field with its value, sorted keys -> loads equal', () => {
    for (const [name, obj] of [
      ['rt-bert', BERT_BASE_CHINESE],
      ['rt-roberta', ROBERTA_BASE],
    ] as const) {
      const c = loadConfig(writeConfig(name, obj));
      const out = join(tmp, `${name}-out`);
      mkdirSync(out);
      saveConfig(out, c);
      const text = readFileSync(join(out, 'config.json'), 'utf8');
      const saved = JSON.parse(text) as Record<string, unknown>;
      for (const [k, val] of Object.entries(obj)) assert.deepEqual(saved[k], val, `${name}.${k}`);
      assert.deepEqual(Object.keys(saved), Object.keys(saved).sort());
      assert.ok(text.endsWith('}\n'));
      assert.deepEqual(loadConfig(out), c);
    }
  });
});

describe('config: defaults follow transformers', () => {
  it('BertConfig() and RobertaConfig() defaults', () => {
    const b = makeConfig();
    const expectBert = {
      model_type: 'bert',
      vocab_size: 30522,
      hidden_size: 768,
      num_hidden_layers: 12,
      num_attention_heads: 12,
      intermediate_size: 3072,
      hidden_act: 'gelu',
      hidden_dropout_prob: 0.1,
      attention_probs_dropout_prob: 0.1,
      max_position_embeddings: 512,
      type_vocab_size: 2,
      initializer_range: 0.02,
      layer_norm_eps: 1e-12,
      pad_token_id: 0,
      bos_token_id: null,
      eos_token_id: null,
      position_embedding_type: 'absolute',
      classifier_dropout: null,
      tie_word_embeddings: true,
    };
    assert.deepEqual({ ...b }, expectBert);
    const r = makeConfig({ model_type: 'roberta' });
    assert.deepEqual({ ...r }, { ...expectBert, model_type: 'roberta', vocab_size: 50265, pad_token_id: 1, bos_token_id: 0, eos_token_id: 2 });
    assert.equal(CONFIG_DEFAULTS.roberta.pad_token_id, 1);
  });

  it('model_type inferred from architectures when missing (old configs), else bert', () => {
    assert.equal(configFromJson({ architectures: ['RobertaForSequenceClassification'] }, 'c').model_type, 'roberta');
    assert.equal(configFromJson({ architectures: ['XLMRobertaModel'] }, 'c').model_type, 'xlm-roberta');
    assert.equal(configFromJson({ vocab_size: 100 }, 'c').model_type, 'bert');
  });

  it('null pad_token_id / architectures / label maps mean "not set"', () => {
    const c = configFromJson({ model_type: 'roberta', pad_token_id: null, architectures: null, id2label: null }, 'c');
    assert.equal(c.pad_token_id, 1);
    assert.equal(c.architectures, undefined);
    assert.equal(c.id2label, undefined);
  });

  it('tiny test configs via makeConfig', () => {
    const c: BertConfig = makeConfig({ vocab_size: 99, hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 37 });
    assert.equal(c.hidden_size / c.num_attention_heads, 8);
    assert.deepEqual(configToJson(c)['vocab_size'], 99);
    assert.equal('bos_token_id' in configToJson(c), false, 'unset token ids are not written');
  });
});

describe('config: validation errors name the file and the field', () => {
  const base = () => ({ ...BERT_BASE_CHINESE }) as Record<string, unknown>;

  it('unsupported hidden_act names the value', () => {
    assert.match(loadError('act', { ...base(), hidden_act: 'quick_gelu' }), /^hidden_act: "quick_gelu" is not supported \(supported: gelu, gelu_new/);
  });

  it('unsupported model_type and position_embedding_type', () => {
    assert.match(loadError('mt', { ...base(), model_type: 'distilbert' }), /^model_type: "distilbert" is not supported \(supported: bert, roberta, xlm-roberta, camembert\)$/);
    assert.match(loadError('pet', { ...base(), position_embedding_type: 'relative_key' }), /^position_embedding_type: "relative_key" is not supported/);
  });

  it('wrong types and ranges', () => {
    assert.equal(loadError('hs', { ...base(), hidden_size: '768' }), 'hidden_size: expected an integer >= 1, got string "768"');
    assert.equal(loadError('dp', { ...base(), hidden_dropout_prob: 1.5 }), 'hidden_dropout_prob: expected a number >= 0 and < 1, got 1.5');
    assert.equal(loadError('eps', { ...base(), layer_norm_eps: 0 }), 'layer_norm_eps: expected a number > 0, got 0');
    assert.equal(loadError('nl', { ...base(), num_hidden_layers: 2.5 }), 'num_hidden_layers: expected an integer >= 1, got number 2.5');
    assert.equal(loadError('tie', { ...base(), tie_word_embeddings: 'yes' }), 'tie_word_embeddings: expected true or false, got string "yes"');
  });

  it('cross-field checks', () => {
    assert.equal(loadError('heads', { ...base(), num_attention_heads: 5 }), 'hidden_size: 768 is not divisible by num_attention_heads 5');
    assert.equal(loadError('pad', { ...base(), pad_token_id: 21128 }), 'pad_token_id: 21128 is not below vocab_size 21128');
    assert.match(loadError('rpos', { ...ROBERTA_BASE, max_position_embeddings: 2 }), /^max_position_embeddings: 2 leaves no positions/);
    assert.equal(loadError('dec', { ...base(), is_decoder: true }), 'is_decoder: decoder BERT (is_decoder: true) is not supported');
    assert.match(loadError('lbl', { ...base(), id2label: { 0: 'neg', 1: 'pos' }, label2id: { neg: 1, pos: 0 } }), /^label2id: "neg" maps to 1 but id2label\[0\] is "neg"$/);
    assert.match(loadError('lblk', { ...base(), id2label: { zero: 'neg' } }), /^id2label\.zero: expected an integer label id/);
  });

  it('labels named like Object.prototype members are plain labels', () => {
    const c = configFromJson({ ...base(), id2label: { 0: 'constructor', 1: 'toString', 2: '__proto__' }, label2id: { other: 3 } }, 'c');
    assert.deepEqual(Object.values(c.id2label!), ['constructor', 'toString', '__proto__']);
  });

  it('bad JSON, non-object, missing file/folder', () => {
    const dir = writeConfig('json', '{"vocab_size": 3,\n}');
    assert.throws(() => loadConfig(dir), { message: `${join(dir, 'config.json')}:2:1: invalid JSON: Expected double-quoted property name` });
    assert.equal(loadError('arr', [1, 2]), 'expected an object, got an array (2 items)');
    mkdirSync(join(tmp, 'empty'));
    assert.throws(() => loadConfig(join(tmp, 'empty')), /empty\/config\.json: not found \(is .* a Hugging Face model folder\?\)/);
    assert.throws(() => loadConfig(join(tmp, 'nowhere')), /nowhere: no such directory/);
  });
});
