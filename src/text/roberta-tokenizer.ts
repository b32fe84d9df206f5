// RoBERTa / GPT-2 byte-level BPE tokenizer: added-token split → ByteLevel pre-tokenizer
// (GPT-2 regex, then every UTF-8 byte mapped to a printable stand-in, `add_prefix_space`
// false by default) → BPE → <s> … </s> (RobertaProcessing, offsets trimmed of the leading
// space) and the ByteLevel decoder. Mirrors HF `tokenizers` roberta-base tokenizer.json.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddedToken } from './added-tokens.js';
import { BaseTokenizer } from './base-tokenizer.js';
import { BpeModel } from './bpe.js';
import { formatMergesTxt, orderedJsonObject, writeJson } from './hf-files.js';
import type { DecodeOptions, Pieces, Tokenizer } from './tokenizer.js';
import { BYTE_TO_CHAR, CHAR_TO_BYTE } from './unicode.js';

// GPT-2 pre-tokenizer regex; Oniguruma's Unicode \s is the White_Space property.
const GPT2_SPLIT = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\p{White_Space}\p{L}\p{N}]+|\p{White_Space}+(?![^\p{White_Space}])|\p{White_Space}+/gu;

export interface RobertaTokenizerOptions {
  readonly vocab: ReadonlyMap<string, number>;
  readonly merges: readonly (readonly [string, string])[];
  readonly bosToken?: string;
  readonly eosToken?: string;
  readonly clsToken?: string;
  readonly sepToken?: string;
  readonly padToken?: string;
  readonly unkToken?: string;
  readonly maskToken?: string;
  readonly addPrefixSpace?: boolean;
  readonly trimOffsets?: boolean;
  /** Default: the specials as HF roberta-base declares them (<mask> with lstrip). */
  readonly addedTokens?: readonly AddedToken[];
  readonly modelMaxLength?: number;
}

type Resolved = Required<Omit<RobertaTokenizerOptions, 'modelMaxLength' | 'addedTokens'>> & {
  modelMaxLength: number | undefined;
  addedTokens: readonly AddedToken[];
};

const utf8 = new TextEncoder();
const utf8Lossy = new TextDecoder('utf-8', { fatal: false });

export class RobertaTokenizer extends BaseTokenizer<BpeModel> implements Tokenizer {
  readonly kind = 'bpe' as const;
  readonly options: Readonly<Resolved>;

  constructor(o: RobertaTokenizerOptions) {
    const base = {
      vocab: o.vocab,
      merges: o.merges,
      bosToken: o.bosToken ?? '<s>',
      eosToken: o.eosToken ?? '</s>',
      clsToken: o.clsToken ?? '<s>',
      sepToken: o.sepToken ?? '</s>',
      padToken: o.padToken ?? '<pad>',
      unkToken: o.unkToken ?? '<unk>',
      maskToken: o.maskToken ?? '<mask>',
      addPrefixSpace: o.addPrefixSpace ?? false,
      trimOffsets: o.trimOffsets ?? true,
      modelMaxLength: o.modelMaxLength,
    };
    const specials = [base.bosToken, base.padToken, base.eosToken, base.unkToken, base.maskToken];
    const added =
      o.addedTokens ??
      [...new Set(specials)]
        .filter((t) => o.vocab.has(t))
        .map((t) => ({
          id: o.vocab.get(t)!,
          content: t,
          special: true,
          lstrip: t === base.maskToken,
          rstrip: false,
          singleWord: false,
          normalized: t !== base.maskToken,
        }));
    const roles = { pad: base.padToken, unk: base.unkToken, cls: base.clsToken, sep: base.sepToken, mask: base.maskToken, bos: base.bosToken, eos: base.eosToken };
    super('RobertaTokenizer', new BpeModel(o.vocab, o.merges, null), added, roles, false, base.modelMaxLength);
    this.options = Object.freeze({ ...base, addedTokens: added });
  }

  /** A pre-tokenized word always gets a leading space (HF requires add_prefix_space=True for pre-tokenized input). */
  protected appendSegment(text: string, at: number, p: Pieces, nextWord: () => number, pretokenized: boolean): void {
    let sub = text;
    // a synthetic leading space has no source text: it maps to the empty range at the start
    const synthetic = (pretokenized || this.options.addPrefixSpace) && !sub.startsWith(' ') ? 1 : 0;
    if (synthetic) sub = ' ' + sub;
    const base = at - synthetic;
    GPT2_SPLIT.lastIndex = 0;
    for (let m = GPT2_SPLIT.exec(sub); m !== null; m = GPT2_SPLIT.exec(sub)) {
      this.appendPiece(m[0], base + m.index, synthetic > 0 && m.index === 0, at, p, nextWord());
    }
  }

  /** One regex piece at original offset `at`: bytes → stand-in chars → BPE → offsets. */
  private appendPiece(piece: string, at: number, firstIsSynthetic: boolean, floor: number, p: Pieces, wid: number): void {
    const bytes: number[] = [];
    const bStart: number[] = [];
    const bEnd: number[] = [];
    let chars = '';
    for (let i = 0; i < piece.length;) {
      const cp = piece.codePointAt(i)!;
      const w = cp > 0xffff ? 2 : 1;
      const enc = cp < 0x80 ? [cp] : utf8.encode(piece.slice(i, i + w));
      let s = at + i;
      let e = at + i + w;
      if (firstIsSynthetic && i === 0) s = e = floor;
      for (const b of enc) {
        bytes.push(b);
        bStart.push(s);
        bEnd.push(e);
        chars += BYTE_TO_CHAR[b]!;
      }
      i += w;
    }
    const bp = this.model.tokenize(chars);
    let b0 = 0;
    for (let k = 0; k < bp.ids.length; k++) {
      const b1 = bp.ends[k]!;
      let s = b0;
      let e = b1;
      if (this.options.trimOffsets) {
        while (s < e && bytes[s] === 0x20) s++;
        while (e > s && bytes[e - 1] === 0x20) e--;
      }
      const off: [number, number] = s === e ? [bEnd[b1 - 1]!, bEnd[b1 - 1]!] : [bStart[s]!, bEnd[e - 1]!];
      const id = bp.ids[k]!;
      p.ids.push(id);
      p.tokens.push(this.model.idToToken[id]!);
      p.wordIds.push(wid);
      p.offsets.push(off);
      b0 = b1;
    }
  }

  decode(ids: readonly number[], opts?: DecodeOptions): string {
    const out: number[] = [];
    for (const t of this.decodeTokens(ids, opts)) {
      const bs: number[] = [];
      let ok = true;
      for (const c of t) {
        const b = CHAR_TO_BYTE.get(c);
        if (b === undefined) {
          ok = false;
          break;
        }
        bs.push(b);
      }
      if (ok) out.push(...bs);
      else out.push(...utf8.encode(t));
    }
    return utf8Lossy.decode(Uint8Array.from(out));
  }

  /** vocab.json + merges.txt + tokenizer_config.json + special_tokens_map.json + tokenizer.json. */
  save(dir: string): void {
    mkdirSync(dir, { recursive: true });
    const o = this.options;
    writeFileSync(join(dir, 'vocab.json'), this.vocabJson('') + '\n');
    writeFileSync(join(dir, 'merges.txt'), formatMergesTxt(o.merges));
    const specialsMap = {
      bos_token: o.bosToken,
      eos_token: o.eosToken,
      unk_token: o.unkToken,
      sep_token: o.sepToken,
      pad_token: o.padToken,
      cls_token: o.clsToken,
      mask_token: { content: o.maskToken, single_word: false, lstrip: true, rstrip: false, normalized: false },
    };
    writeJson(join(dir, 'special_tokens_map.json'), specialsMap);
    writeJson(join(dir, 'tokenizer_config.json'), {
      tokenizer_class: 'RobertaTokenizer',
      add_prefix_space: o.addPrefixSpace,
      trim_offsets: o.trimOffsets,
      errors: 'replace',
      ...(o.modelMaxLength !== undefined ? { model_max_length: o.modelMaxLength } : {}),
      ...specialsMap,
      // A token object in tokenizer_config.json carries "__type" (as transformers writes it, and as
      // transformers.js requires: it rejects a bare object); special_tokens_map.json has none.
      mask_token: { __type: 'AddedToken', ...specialsMap.mask_token },
    });
    writeFileSync(join(dir, 'tokenizer.json'), this.tokenizerJson());
  }

  private vocabJson(indent: string): string {
    const entries: [string, number][] = [];
    this.model.idToToken.forEach((t, id) => {
      if (t !== undefined) entries.push([t, id]);
    });
    return orderedJsonObject(entries, indent);
  }

  /** The HF `tokenizers` serialization (tokenizer.json) of this tokenizer. */
  tokenizerJson(): string {
    const o = this.options;
    return this.serializeTokenizerJson(
      o.addedTokens,
      {
        normalizer: null,
        pre_tokenizer: { type: 'ByteLevel', add_prefix_space: o.addPrefixSpace, trim_offsets: o.trimOffsets, use_regex: true },
        post_processor: {
          type: 'RobertaProcessing',
          sep: [o.sepToken, this.specialIds.sep],
          cls: [o.clsToken, this.specialIds.cls],
          trim_offsets: o.trimOffsets,
          add_prefix_space: o.addPrefixSpace,
        },
        decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
        model: {
          type: 'BPE',
          dropout: null,
          unk_token: null,
          continuing_subword_prefix: '',
          end_of_word_suffix: '',
          fuse_unk: false,
          merges: o.merges.map(([a, b]) => `${a} ${b}`),
        },
      },
      (indent) => this.vocabJson(indent),
    );
  }
}
