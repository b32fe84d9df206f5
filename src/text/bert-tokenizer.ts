// BERT tokenizer = BertNormalizer → added-token split → BertPreTokenizer → WordPiece →
// [CLS] … [SEP], and the WordPiece decoder. Mirrors HF `tokenizers` (BertWordPieceTokenizer,
// the tokenizer.json of bert-base-*) and `transformers` BertTokenizerFast.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddedToken } from './added-tokens.js';
import { BaseTokenizer } from './base-tokenizer.js';
import { bertPreTokenize } from './bert-pretokenizer.js';
import { formatVocabTxt, orderedJsonObject, writeJson } from './hf-files.js';
import { BertNormalizer, originalRange } from './normalizer.js';
import type { DecodeOptions, Pieces, Tokenizer } from './tokenizer.js';
import { WordPieceModel, type WordPieces } from './wordpiece.js';

export interface BertTokenizerOptions {
  /** Model vocabulary, id → token (vocab.txt order). */
  readonly vocab: readonly (string | undefined)[];
  readonly unkToken?: string;
  readonly clsToken?: string;
  readonly sepToken?: string;
  readonly padToken?: string;
  readonly maskToken?: string;
  readonly continuingSubwordPrefix?: string;
  readonly maxInputCharsPerWord?: number;
  readonly lowercase?: boolean;
  /** null/undefined: follow `lowercase` (HF `strip_accents: null`). */
  readonly stripAccents?: boolean | null;
  readonly handleChineseChars?: boolean;
  readonly cleanText?: boolean;
  /** Tokens matched whole in raw text; default: the five specials, as transformers does. */
  readonly addedTokens?: readonly AddedToken[];
  readonly modelMaxLength?: number;
  /** WordPiece decoder `cleanup` (" ." → "." …). Default true. */
  readonly cleanupDecode?: boolean;
}

type Resolved = Required<Omit<BertTokenizerOptions, 'stripAccents' | 'modelMaxLength' | 'addedTokens'>> & {
  stripAccents: boolean | null;
  modelMaxLength: number | undefined;
  addedTokens: readonly AddedToken[];
};

export class BertTokenizer extends BaseTokenizer<WordPieceModel> implements Tokenizer {
  readonly kind = 'wordpiece' as const;
  readonly options: Readonly<Resolved>;
  readonly normalizer: BertNormalizer;

  constructor(o: BertTokenizerOptions) {
    const base = {
      vocab: o.vocab,
      unkToken: o.unkToken ?? '[UNK]',
      clsToken: o.clsToken ?? '[CLS]',
      sepToken: o.sepToken ?? '[SEP]',
      padToken: o.padToken ?? '[PAD]',
      maskToken: o.maskToken ?? '[MASK]',
      continuingSubwordPrefix: o.continuingSubwordPrefix ?? '##',
      maxInputCharsPerWord: o.maxInputCharsPerWord ?? 100,
      lowercase: o.lowercase ?? true,
      stripAccents: o.stripAccents ?? null,
      handleChineseChars: o.handleChineseChars ?? true,
      cleanText: o.cleanText ?? true,
      modelMaxLength: o.modelMaxLength,
      cleanupDecode: o.cleanupDecode ?? true,
    };
    const model = new WordPieceModel({
      idToToken: base.vocab,
      unkToken: base.unkToken,
      continuingSubwordPrefix: base.continuingSubwordPrefix,
      maxInputCharsPerWord: base.maxInputCharsPerWord,
    });
    const specials = { pad: base.padToken, unk: base.unkToken, cls: base.clsToken, sep: base.sepToken, mask: base.maskToken };
    const added =
      o.addedTokens ??
      Object.values(specials)
        .filter((t) => model.vocab.has(t))
        .map((t) => ({ id: model.vocab.get(t)!, content: t, special: true, lstrip: false, rstrip: false, singleWord: false, normalized: false }));
    super('BertTokenizer', model, added, specials, base.lowercase, base.modelMaxLength);
    this.options = Object.freeze({ ...base, addedTokens: added });
    this.normalizer = new BertNormalizer({
      cleanText: base.cleanText,
      handleChineseChars: base.handleChineseChars,
      stripAccents: base.stripAccents ?? base.lowercase,
      lowercase: base.lowercase,
    });
  }

  /**
   * Normalized pre-tokenized words of `text` (added tokens left out): what the trainer and
   * the vocabulary expander count.
   */
  words(text: string): string[] {
    const out: string[] = [];
    for (const seg of this.splitter.split(text)) {
      if (seg.added) continue;
      const norm = this.normalizer.normalizeText(seg.start === 0 && seg.end === text.length ? text : text.slice(seg.start, seg.end));
      const r = bertPreTokenize(norm);
      for (let k = 0; k < r.length; k += 2) out.push(norm.slice(r[k]!, r[k + 1]!));
    }
    return out;
  }

  protected appendSegment(text: string, at: number, p: Pieces, nextWord: () => number): void {
    const norm = this.normalizer.normalize(text);
    const nt = norm.text;
    const r = bertPreTokenize(nt);
    for (let k = 0; k < r.length; k += 2) {
      const ws = r[k]!;
      const we = r[k + 1]!;
      const wp: WordPieces = this.model.tokenize(nt.slice(ws, we));
      const wid = nextWord();
      let ps = ws;
      for (let j = 0; j < wp.ids.length; j++) {
        const id = wp.ids[j]!;
        const pe = ws + wp.ends[j]!;
        const [a, b] = originalRange(norm, ps, pe);
        p.ids.push(id);
        p.tokens.push(this.model.idToToken[id]!);
        p.wordIds.push(wid);
        p.offsets.push([a + at, b + at]);
        ps = pe;
      }
    }
  }

  decode(ids: readonly number[], opts?: DecodeOptions): string {
    const toks = this.decodeTokens(ids, opts);
    const prefix = this.options.continuingSubwordPrefix;
    let out = '';
    for (let i = 0; i < toks.length; i++) {
      let t = toks[i]!;
      if (i !== 0) t = t.startsWith(prefix) ? t.slice(prefix.length) : ' ' + t;
      if (this.options.cleanupDecode) t = cleanup(t);
      out += t;
    }
    return out;
  }

  /** vocab.txt + tokenizer_config.json + special_tokens_map.json + tokenizer.json. */
  save(dir: string): void {
    mkdirSync(dir, { recursive: true });
    const o = this.options;
    const vocabFile = join(dir, 'vocab.txt');
    writeFileSync(vocabFile, formatVocabTxt(this.model.idToToken, vocabFile));
    const beyond = o.addedTokens.filter((t) => t.id >= this.model.size);
    if (beyond.length > 0) writeJson(join(dir, 'added_tokens.json'), Object.fromEntries(beyond.map((t) => [t.content, t.id])));
    const specialsMap = {
      unk_token: o.unkToken,
      sep_token: o.sepToken,
      pad_token: o.padToken,
      cls_token: o.clsToken,
      mask_token: o.maskToken,
    };
    writeJson(join(dir, 'special_tokens_map.json'), specialsMap);
    writeJson(join(dir, 'tokenizer_config.json'), {
      tokenizer_class: 'BertTokenizer',
      do_lower_case: o.lowercase,
      strip_accents: o.stripAccents,
      tokenize_chinese_chars: o.handleChineseChars,
      do_basic_tokenize: true,
      clean_up_tokenization_spaces: o.cleanupDecode,
      ...(o.modelMaxLength !== undefined ? { model_max_length: o.modelMaxLength } : {}),
      ...specialsMap,
    });
    writeFileSync(join(dir, 'tokenizer.json'), this.tokenizerJson());
  }

  /** The HF `tokenizers` serialization (tokenizer.json) of this tokenizer. */
  tokenizerJson(): string {
    const o = this.options;
    return this.serializeTokenizerJson(
      o.addedTokens,
      {
        normalizer: {
          type: 'BertNormalizer',
          clean_text: o.cleanText,
          handle_chinese_chars: o.handleChineseChars,
          strip_accents: o.stripAccents,
          lowercase: o.lowercase,
        },
        pre_tokenizer: { type: 'BertPreTokenizer' },
        post_processor: {
          type: 'TemplateProcessing',
          single: [{ SpecialToken: { id: o.clsToken, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: o.sepToken, type_id: 0 } }],
          pair: [
            { SpecialToken: { id: o.clsToken, type_id: 0 } },
            { Sequence: { id: 'A', type_id: 0 } },
            { SpecialToken: { id: o.sepToken, type_id: 0 } },
            { Sequence: { id: 'B', type_id: 1 } },
            { SpecialToken: { id: o.sepToken, type_id: 1 } },
          ],
          special_tokens: {
            [o.clsToken]: { id: o.clsToken, ids: [this.specialIds.cls], tokens: [o.clsToken] },
            [o.sepToken]: { id: o.sepToken, ids: [this.specialIds.sep], tokens: [o.sepToken] },
          },
        },
        decoder: { type: 'WordPiece', prefix: o.continuingSubwordPrefix, cleanup: o.cleanupDecode },
        model: {
          type: 'WordPiece',
          unk_token: o.unkToken,
          continuing_subword_prefix: o.continuingSubwordPrefix,
          max_input_chars_per_word: o.maxInputCharsPerWord,
        },
      },
      (indent) => {
        const entries: [string, number][] = [];
        this.model.idToToken.forEach((t, id) => {
          if (t !== undefined && this.model.vocab.get(t) === id) entries.push([t, id]);
        });
        return orderedJsonObject(entries, indent);
      },
    );
  }
}

/** WordPiece decoder cleanup (HF decoders/wordpiece.rs), applied to each token string. */
function cleanup(s: string): string {
  return s
    .replaceAll(' .', '.')
    .replaceAll(' ?', '?')
    .replaceAll(' !', '!')
    .replaceAll(' ,', ',')
    .replaceAll(" ' ", "'")
    .replaceAll(" n't", "n't")
    .replaceAll(" 'm", "'m")
    .replaceAll(' do not', " don't")
    .replaceAll(" 's", "'s")
    .replaceAll(" 've", "'ve")
    .replaceAll(" 're", "'re");
}
