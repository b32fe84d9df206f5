// What the WordPiece (BERT) and byte-level BPE (RoBERTa) tokenizers share: the added-token table
// and splitter (specials matched whole in raw text, as HF `tokenizers` does), the special ids,
// id ↔ token lookups, the encode / encodeWords scaffolding around each model's own
// segment tokenizer, the [CLS] … [SEP] template, decoding's id checks and tokenizer.json's
// `added_tokens`. A subclass supplies its model and how a plain text segment becomes pieces.
import { AddedTokenSplitter, type AddedToken } from './added-tokens.js';
import { clipForTokens, emptyPieces, finishEncoding, type DecodeOptions, type EncodeOptions, type Encoding, type Pieces, type SpecialIds } from './tokenizer.js';

/** The vocabulary side of a tokenizer model (WordPieceModel, BpeModel). */
export interface VocabModel {
  readonly vocab: ReadonlyMap<string, number>;
  readonly idToToken: readonly (string | undefined)[];
  readonly size: number;
}

/** Special-token roles → their token strings (`bos`/`eos` only where the model has them). */
export type SpecialTokens = { pad: string; unk: string; cls: string; sep: string; mask: string; bos?: string; eos?: string };

export abstract class BaseTokenizer<M extends VocabModel> {
  readonly specialIds: SpecialIds;
  readonly vocabSize: number;
  readonly modelMaxLength: number | undefined;
  protected readonly splitter: AddedTokenSplitter;
  protected readonly addedById = new Map<number, AddedToken>();
  private readonly addedByContent = new Map<string, AddedToken>();
  private readonly cls: { id: number; token: string };
  private readonly sep: { id: number; token: string };

  constructor(
    /** The class name, in error messages. */
    private readonly name: string,
    readonly model: M,
    added: readonly AddedToken[],
    specials: SpecialTokens,
    /** Whether added tokens match case-insensitively (an uncased WordPiece model). */
    lowercaseAdded: boolean,
    modelMaxLength: number | undefined,
  ) {
    for (const t of added) {
      this.addedById.set(t.id, t);
      this.addedByContent.set(t.content, t);
    }
    this.splitter = new AddedTokenSplitter(added, lowercaseAdded);
    const idOf = (role: keyof SpecialTokens): number => {
      const t = specials[role]!;
      const id = this.tokenToId(t);
      if (id === undefined) throw new Error(`${name}: ${role} token ${JSON.stringify(t)} is not in the vocabulary`);
      return id;
    };
    this.specialIds = Object.freeze({
      pad: idOf('pad'),
      unk: idOf('unk'),
      cls: idOf('cls'),
      sep: idOf('sep'),
      mask: idOf('mask'),
      ...(specials.bos !== undefined ? { bos: idOf('bos') } : {}),
      ...(specials.eos !== undefined ? { eos: idOf('eos') } : {}),
    });
    this.cls = { id: this.specialIds.cls, token: specials.cls };
    this.sep = { id: this.specialIds.sep, token: specials.sep };
    let size = model.size;
    for (const t of added) size = Math.max(size, t.id + 1);
    this.vocabSize = size;
    this.modelMaxLength = modelMaxLength;
  }

  tokenToId(token: string): number | undefined {
    return this.addedByContent.get(token)?.id ?? this.model.vocab.get(token);
  }

  idToToken(id: number): string | undefined {
    return this.addedById.get(id)?.content ?? this.model.idToToken[id];
  }

  encode(text: string, opts?: EncodeOptions): Encoding {
    const p = emptyPieces();
    this.appendText(clipForTokens(text, opts?.maxLength), p, { next: 0 }, null, false);
    return finishEncoding(`${this.name}.encode`, p, opts, this.cls, this.sep);
  }

  /** Pre-tokenized input: every word keeps its own word id. */
  encodeWords(words: readonly string[], opts?: EncodeOptions): Encoding {
    const p = emptyPieces();
    const counter = { next: 0 };
    for (let i = 0; i < words.length; i++) this.appendText(words[i]!, p, counter, i, true);
    return finishEncoding(`${this.name}.encodeWords`, p, opts, this.cls, this.sep);
  }

  /**
   * Pieces of one stretch of text without added tokens, `at` = its offset in the original text;
   * `nextWord()` gives the word id of each pre-tokenized word; `pretokenized`: a word of encodeWords.
   */
  protected abstract appendSegment(text: string, at: number, p: Pieces, nextWord: () => number, pretokenized: boolean): void;

  private appendText(text: string, p: Pieces, counter: { next: number }, fixedWord: number | null, pretokenized: boolean): void {
    const nextWord = () => fixedWord ?? counter.next++;
    for (const seg of this.splitter.split(text)) {
      if (seg.added) {
        p.ids.push(seg.added.id);
        p.tokens.push(seg.surface ?? seg.added.content);
        p.wordIds.push(nextWord());
        p.offsets.push([seg.start, seg.end]);
        continue;
      }
      this.appendSegment(seg.start === 0 && seg.end === text.length ? text : text.slice(seg.start, seg.end), seg.start, p, nextWord, pretokenized);
    }
  }

  /** The tokens of `ids` for decoding (specials left out unless asked), each id checked. */
  protected decodeTokens(ids: readonly number[], opts?: DecodeOptions): string[] {
    const skip = opts?.skipSpecialTokens ?? true;
    const toks: string[] = [];
    for (const id of ids) {
      const t = this.idToToken(id);
      if (t === undefined) throw new Error(`${this.name}.decode: id ${id} is outside the vocabulary [0, ${this.vocabSize})`);
      if (skip && this.addedById.get(id)?.special) continue;
      toks.push(t);
    }
    return toks;
  }

  /**
   * The HF `tokenizers` serialization (tokenizer.json): the shared header and `added_tokens` (in
   * id order), the model-specific parts, and the model's vocabulary written in id order
   * (`vocabJson(indent)`: a JSON object text, so key order is the file's, unlike JSON.stringify).
   */
  protected serializeTokenizerJson(
    added: readonly AddedToken[],
    parts: { normalizer: object | null; pre_tokenizer: object; post_processor: object; decoder: object; model: Record<string, unknown> },
    vocabJson: (indent: string) => string,
  ): string {
    const VOCAB = '__ADAPTEXT_VOCAB_PLACEHOLDER__';
    const { merges, ...model } = parts.model; // HF writes the vocabulary before the merges
    const doc = {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: [...added]
        .sort((a, b) => a.id - b.id)
        .map((t) => ({ id: t.id, content: t.content, single_word: t.singleWord, lstrip: t.lstrip, rstrip: t.rstrip, normalized: t.normalized, special: t.special })),
      normalizer: parts.normalizer,
      pre_tokenizer: parts.pre_tokenizer,
      post_processor: parts.post_processor,
      decoder: parts.decoder,
      model: { ...model, vocab: VOCAB, ...(merges !== undefined ? { merges } : {}) },
    };
    const text = JSON.stringify(doc, null, 2);
    return text.replace(JSON.stringify(VOCAB), () => vocabJson('      ').replace(/\n}$/, '\n    }')) + '\n';
  }
}
