// loadTokenizer(dir): build a Tokenizer from a Hugging Face checkpoint folder.
//
// Precedence, as in transformers' *TokenizerFast: tokenizer.json when present (BERT WordPiece
// or RoBERTa byte-level BPE), else vocab.txt (+ tokenizer_config.json) for BERT, else
// vocab.json + merges.txt for RoBERTa. tokenizer_config.json settings that transformers
// re-applies on top of tokenizer.json (do_lower_case, strip_accents, tokenize_chinese_chars,
// add_prefix_space, trim_offsets) are honoured; special_tokens_map.json names the specials.

import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { AddedToken } from './added-tokens.js';
import { BertTokenizer } from './bert-tokenizer.js';
import { objectEntries, parseJsonFile, parseMergesTxt, parseVocabTxt, readJsonObjectIfExists, readText } from './hf-files.js';
import { RobertaTokenizer } from './roberta-tokenizer.js';
import type { Tokenizer } from './tokenizer.js';
import { localModelDir } from '../hub/model.js';

type Json = Record<string, unknown>;

const BPE_MODEL_TYPES = new Set(['roberta', 'xlm-roberta', 'camembert', 'longformer', 'bart', 'gpt2']);

export function loadTokenizer(ref: string): Tokenizer {
  const dir = localModelDir(ref); // a hub model id: its cached snapshot
  if (!existsSync(dir)) throw new Error(`loadTokenizer: folder ${dir} does not exist`);
  if (!statSync(dir).isDirectory()) throw new Error(`loadTokenizer: ${dir} is not a folder`);
  const has = (f: string): boolean => existsSync(join(dir, f));
  const tcfg = readJsonObjectIfExists(dir, 'tokenizer_config.json') ?? {};
  const smap = readJsonObjectIfExists(dir, 'special_tokens_map.json') ?? {};
  const cfg = readJsonObjectIfExists(dir, 'config.json') ?? {};
  const settings = new Settings(dir, tcfg, smap);
  const modelType = typeof cfg['model_type'] === 'string' ? (cfg['model_type'] as string) : undefined;

  if (has('tokenizer.json')) return fromTokenizerJson(join(dir, 'tokenizer.json'), settings);
  const wantsBpe = modelType !== undefined && BPE_MODEL_TYPES.has(modelType);
  if (!wantsBpe && has('vocab.txt')) return bertFromVocabTxt(dir, settings);
  if (has('vocab.json') || wantsBpe) {
    for (const f of ['vocab.json', 'merges.txt']) {
      if (!has(f)) throw new Error(`loadTokenizer: ${dir} has no tokenizer.json and is missing ${f} (a ${modelType ?? 'byte-level BPE'} tokenizer needs vocab.json + merges.txt)`);
    }
    return robertaFromFiles(dir, settings);
  }
  throw new Error(`loadTokenizer: ${dir} has no tokenizer files (expected tokenizer.json, or vocab.txt for BERT, or vocab.json + merges.txt for RoBERTa)`);
}

/** tokenizer_config.json + special_tokens_map.json values with type checks. */
class Settings {
  constructor(
    readonly dir: string,
    private readonly tcfg: Json,
    private readonly smap: Json,
  ) {}

  bool(key: string): boolean | undefined {
    const v = this.tcfg[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'boolean') throw new Error(`${join(this.dir, 'tokenizer_config.json')}: ${key} must be true or false, got ${JSON.stringify(v)}`);
    return v;
  }

  /** strip_accents may be null (= follow lowercasing). */
  stripAccents(): boolean | null | undefined {
    if (!('strip_accents' in this.tcfg)) return undefined;
    const v = this.tcfg['strip_accents'];
    if (v === null) return null;
    if (typeof v !== 'boolean') throw new Error(`${join(this.dir, 'tokenizer_config.json')}: strip_accents must be true, false or null, got ${JSON.stringify(v)}`);
    return v;
  }

  modelMaxLength(): number | undefined {
    const v = this.tcfg['model_max_length'];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !(v > 0)) throw new Error(`${join(this.dir, 'tokenizer_config.json')}: model_max_length must be a positive number, got ${JSON.stringify(v)}`);
    return v > 1e9 ? undefined : v; // transformers writes 1e30 for "no limit"
  }

  /** Special token text: special_tokens_map.json, then tokenizer_config.json. */
  token(key: string): string | undefined {
    for (const [src, name] of [
      [this.smap, 'special_tokens_map.json'],
      [this.tcfg, 'tokenizer_config.json'],
    ] as const) {
      const v = src[key];
      if (v === undefined || v === null) continue;
      if (typeof v === 'string') return v;
      if (typeof v === 'object' && typeof (v as Json)['content'] === 'string') return (v as Json)['content'] as string;
      throw new Error(`${join(this.dir, name)}: ${key} must be a string or {"content": ...}, got ${JSON.stringify(v).slice(0, 80)}`);
    }
    return undefined;
  }
}

function bertSpecialStrings(s: Settings): { unkToken?: string; clsToken?: string; sepToken?: string; padToken?: string; maskToken?: string } {
  const r: Record<string, string> = {};
  for (const [k, o] of [
    ['unk_token', 'unkToken'],
    ['cls_token', 'clsToken'],
    ['sep_token', 'sepToken'],
    ['pad_token', 'padToken'],
    ['mask_token', 'maskToken'],
  ] as const) {
    const v = s.token(k);
    if (v !== undefined) r[o] = v;
  }
  return r;
}

function robertaSpecialStrings(s: Settings): Record<string, string> {
  const r: Record<string, string> = bertSpecialStrings(s);
  const bos = s.token('bos_token');
  const eos = s.token('eos_token');
  if (bos !== undefined) r['bosToken'] = bos;
  if (eos !== undefined) r['eosToken'] = eos;
  return r;
}

/** added_tokens.json ({token: id}) entries beyond the base vocabulary. */
function addedTokensJson(dir: string, specials: Set<string>): AddedToken[] {
  const f = join(dir, 'added_tokens.json');
  if (!existsSync(f)) return [];
  const out: AddedToken[] = [];
  for (const [content, id] of objectEntries(parseJsonFile(f), f, 'the top level')) {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) throw new Error(`${f}: id of ${JSON.stringify(content)} must be a non-negative integer`);
    const special = specials.has(content);
    out.push({ id, content, special, lstrip: false, rstrip: false, singleWord: false, normalized: !special });
  }
  return out;
}

function bertFromVocabTxt(dir: string, s: Settings): Tokenizer {
  const vocabFile = join(dir, 'vocab.txt');
  const vocab = parseVocabTxt(readText(vocabFile));
  if (vocab.length === 0) throw new Error(`${vocabFile}: empty vocabulary`);
  const sp = bertSpecialStrings(s);
  const specials = ['[UNK]', '[CLS]', '[SEP]', '[PAD]', '[MASK]'];
  const names = [sp.unkToken, sp.clsToken, sp.sepToken, sp.padToken, sp.maskToken].map((t, i) => t ?? specials[i]!);
  const specialSet = new Set(names);
  const extra = addedTokensJson(dir, specialSet);
  const inVocab = new Map<string, number>();
  vocab.forEach((t, i) => inVocab.set(t, i));
  const added: AddedToken[] = [];
  for (const t of names) {
    const id = inVocab.get(t) ?? extra.find((e) => e.content === t)?.id;
    if (id === undefined) throw new Error(`${vocabFile}: special token ${t} is not in the vocabulary`);
    if (!added.some((a) => a.content === t)) added.push({ id, content: t, special: true, lstrip: false, rstrip: false, singleWord: false, normalized: false });
  }
  for (const e of extra) if (!added.some((a) => a.content === e.content)) added.push(e);
  return withContext(
    vocabFile,
    () =>
      new BertTokenizer({
        vocab,
        ...sp,
        lowercase: s.bool('do_lower_case') ?? true,
        stripAccents: s.stripAccents() ?? null,
        handleChineseChars: s.bool('tokenize_chinese_chars') ?? true,
        addedTokens: added,
        modelMaxLength: s.modelMaxLength(),
        cleanupDecode: s.bool('clean_up_tokenization_spaces') ?? true,
      }),
  );
}

function robertaFromFiles(dir: string, s: Settings): Tokenizer {
  const vf = join(dir, 'vocab.json');
  const mf = join(dir, 'merges.txt');
  const vocab = vocabMap(parseJsonFile(vf), vf, 'the top level');
  const merges = parseMergesTxt(readText(mf), mf);
  return withContext(
    vf,
    () =>
      new RobertaTokenizer({
        vocab,
        merges,
        ...robertaSpecialStrings(s),
        addPrefixSpace: s.bool('add_prefix_space') ?? false,
        trimOffsets: s.bool('trim_offsets') ?? true,
        modelMaxLength: s.modelMaxLength(),
      }),
  );
}

function vocabMap(v: unknown, file: string, field: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const [t, id] of objectEntries(v, file, field)) {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) throw new Error(`${file}: ${field} entry ${JSON.stringify(t)} must map to a non-negative integer id, got ${JSON.stringify(id)}`);
    m.set(t, id);
  }
  if (m.size === 0) throw new Error(`${file}: ${field} is empty`);
  return m;
}

function field<T>(o: Json, key: string, file: string, where: string, check: (v: unknown) => v is T, what: string): T {
  const v = o[key];
  if (!check(v)) throw new Error(`${file}: ${where}.${key} must be ${what}, got ${JSON.stringify(v)?.slice(0, 80)}`);
  return v;
}
const isObj = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === 'string';
const isBool = (v: unknown): v is boolean => typeof v === 'boolean';

function parseAddedTokens(doc: Json, file: string): AddedToken[] {
  const list = doc['added_tokens'] ?? [];
  if (!Array.isArray(list)) throw new Error(`${file}: added_tokens must be a list`);
  return list.map((t, i) => {
    if (!isObj(t)) throw new Error(`${file}: added_tokens[${i}] must be an object`);
    const where = `added_tokens[${i}]`;
    const id = t['id'];
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) throw new Error(`${file}: ${where}.id must be a non-negative integer`);
    const b = (k: string, d: boolean): boolean => (t[k] === undefined ? d : field(t, k, file, where, isBool, 'true or false'));
    return {
      id,
      content: field(t, 'content', file, where, isStr, 'a string'),
      special: b('special', false),
      lstrip: b('lstrip', false),
      rstrip: b('rstrip', false),
      singleWord: b('single_word', false),
      normalized: b('normalized', true),
    };
  });
}

/** Special token string named by a post-processor ("[CLS]" in TemplateProcessing, ["<s>", 0] in Roberta/BertProcessing). */
function postProcessorTokens(pp: unknown, file: string): { cls?: string; sep?: string } {
  if (!isObj(pp)) return {};
  const type = pp['type'];
  if (type === 'RobertaProcessing' || type === 'BertProcessing') {
    const pick = (k: string): string => {
      const v = pp[k];
      if (!Array.isArray(v) || typeof v[0] !== 'string') throw new Error(`${file}: post_processor.${k} must be [token, id]`);
      return v[0];
    };
    return { cls: pick('cls'), sep: pick('sep') };
  }
  if (type === 'TemplateProcessing') {
    const single = pp['single'];
    if (!Array.isArray(single)) throw new Error(`${file}: post_processor.single must be a list`);
    const specials = single.filter((x) => isObj(x) && isObj(x['SpecialToken'])).map((x) => (x as Json)['SpecialToken'] as Json);
    const first = single[0];
    const last = single[single.length - 1];
    const name = (x: unknown): string | undefined => (isObj(x) && isObj(x['SpecialToken']) && isStr(x['SpecialToken']['id']) ? x['SpecialToken']['id'] : undefined);
    if (specials.length !== 2 || name(first) === undefined || name(last) === undefined) {
      throw new Error(`${file}: post_processor TemplateProcessing must be "<cls> $A <sep>" for BERT, got ${JSON.stringify(single).slice(0, 100)}`);
    }
    return { cls: name(first), sep: name(last) };
  }
  return {};
}

function withContext<T>(file: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    const m = (e as Error).message;
    throw new Error(m.includes(file) ? m : `${file}: ${m}`, { cause: e });
  }
}

function fromTokenizerJson(file: string, s: Settings): Tokenizer {
  const doc = parseJsonFile(file);
  if (!isObj(doc)) throw new Error(`${file}: expected a JSON object at the top level`);
  const model = doc['model'];
  if (!isObj(model)) throw new Error(`${file}: missing "model" object`);
  let type = model['type'];
  if (type === undefined) {
    // tokenizer.json files written by tokenizers < 0.10 have no model type; infer it as the library does
    if ('merges' in model) type = 'BPE';
    else if ('max_input_chars_per_word' in model || 'continuing_subword_prefix' in model) type = 'WordPiece';
  }
  const added = parseAddedTokens(doc, file);
  const pp = postProcessorTokens(doc['post_processor'], file);
  if (type === 'WordPiece') {
    const norm = doc['normalizer'];
    if (norm !== null && !(isObj(norm) && norm['type'] === 'BertNormalizer')) {
      throw new Error(`${file}: unsupported normalizer ${JSON.stringify(isObj(norm) ? norm['type'] : norm)} (adaptext supports BertNormalizer for WordPiece)`);
    }
    const pre = doc['pre_tokenizer'];
    if (!(isObj(pre) && pre['type'] === 'BertPreTokenizer')) {
      throw new Error(`${file}: unsupported pre_tokenizer ${JSON.stringify(isObj(pre) ? pre['type'] : pre)} (adaptext supports BertPreTokenizer for WordPiece)`);
    }
    const vocabM = vocabMap(model['vocab'], file, 'model.vocab');
    const vocab: (string | undefined)[] = [];
    for (const [t, id] of vocabM) vocab[id] = t;
    const n = isObj(norm) ? norm : {};
    const nb = (k: string, d: boolean): boolean => (n[k] === undefined || n[k] === null ? d : field(n, k, file, 'normalizer', isBool, 'true or false'));
    const sa = n['strip_accents'];
    if (sa !== undefined && sa !== null && typeof sa !== 'boolean') throw new Error(`${file}: normalizer.strip_accents must be true, false or null`);
    const dec = doc['decoder'];
    const sp = bertSpecialStrings(s);
    const maskAdded = added.find((t) => t.special && t.content === (sp.maskToken ?? '[MASK]'));
    const padAdded = added.find((t) => t.special && t.content === (sp.padToken ?? '[PAD]'));
    const stripCfg = s.stripAccents();
    return withContext(
      file,
      () =>
        new BertTokenizer({
          vocab,
          unkToken: field(model, 'unk_token', file, 'model', isStr, 'a string'),
          continuingSubwordPrefix: model['continuing_subword_prefix'] === undefined ? '##' : field(model, 'continuing_subword_prefix', file, 'model', isStr, 'a string'),
          maxInputCharsPerWord: typeof model['max_input_chars_per_word'] === 'number' ? (model['max_input_chars_per_word'] as number) : 100,
          clsToken: sp.clsToken ?? pp.cls,
          sepToken: sp.sepToken ?? pp.sep,
          padToken: sp.padToken ?? padAdded?.content,
          maskToken: sp.maskToken ?? maskAdded?.content,
          lowercase: s.bool('do_lower_case') ?? nb('lowercase', true),
          stripAccents: stripCfg !== undefined ? stripCfg : ((sa as boolean | null | undefined) ?? null),
          handleChineseChars: s.bool('tokenize_chinese_chars') ?? nb('handle_chinese_chars', true),
          cleanText: nb('clean_text', true),
          addedTokens: added,
          modelMaxLength: s.modelMaxLength(),
          cleanupDecode: isObj(dec) && typeof dec['cleanup'] === 'boolean' ? (dec['cleanup'] as boolean) : true,
        }),
    );
  }
  if (type === 'BPE') {
    const pre = doc['pre_tokenizer'];
    if (!(isObj(pre) && pre['type'] === 'ByteLevel')) {
      throw new Error(`${file}: unsupported pre_tokenizer ${JSON.stringify(isObj(pre) ? pre['type'] : pre)} (adaptext supports byte-level BPE, i.e. ByteLevel)`);
    }
    if (doc['normalizer'] !== null && doc['normalizer'] !== undefined) throw new Error(`${file}: unsupported normalizer for byte-level BPE (expected null)`);
    const vocab = vocabMap(model['vocab'], file, 'model.vocab');
    const rawMerges = model['merges'];
    if (!Array.isArray(rawMerges)) throw new Error(`${file}: model.merges must be a list`);
    const merges = rawMerges.map((m, i): [string, string] => {
      if (typeof m === 'string') {
        const parts = m.split(' ');
        if (parts.length === 2 && parts[0] !== '' && parts[1] !== '') return [parts[0]!, parts[1]!];
      } else if (Array.isArray(m) && m.length === 2 && isStr(m[0]) && isStr(m[1])) return [m[0], m[1]];
      throw new Error(`${file}: model.merges[${i}] must be "a b" or ["a", "b"], got ${JSON.stringify(m).slice(0, 60)}`);
    });
    const ppj = isObj(doc['post_processor']) ? (doc['post_processor'] as Json) : {};
    const sp = robertaSpecialStrings(s);
    const ppBool = (k: string): boolean | undefined => (typeof ppj[k] === 'boolean' ? (ppj[k] as boolean) : undefined);
    return withContext(
      file,
      () =>
        new RobertaTokenizer({
          vocab,
          merges,
          ...sp,
          clsToken: sp['clsToken'] ?? pp.cls,
          sepToken: sp['sepToken'] ?? pp.sep,
          addPrefixSpace: s.bool('add_prefix_space') ?? (pre['add_prefix_space'] as boolean | undefined) ?? false,
          trimOffsets: s.bool('trim_offsets') ?? ppBool('trim_offsets') ?? (pre['trim_offsets'] as boolean | undefined) ?? true,
          addedTokens: added,
          modelMaxLength: s.modelMaxLength(),
        }),
    );
  }
  throw new Error(`${file}: unsupported tokenizer model type ${JSON.stringify(type)} (adaptext supports WordPiece and BPE)`);
}
