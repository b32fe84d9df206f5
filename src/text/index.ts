// Public surface of src/text: tokenizers (load, encode, decode, save), the WordPiece trainer
// and vocabulary expansion.
export type { DecodeOptions, EncodeOptions, Encoding, SpecialIds, Tokenizer, TokenizerKind } from './tokenizer.js';
export { loadTokenizer } from './load.js';
export { BertTokenizer, type BertTokenizerOptions } from './bert-tokenizer.js';
export { RobertaTokenizer, type RobertaTokenizerOptions } from './roberta-tokenizer.js';
export type { AddedToken } from './added-tokens.js';
export { BERT_SPECIAL_TOKENS, trainWordPiece, WordPieceTrainer, type WordPieceTrainerOptions, type WordPieceTrainResult } from './wordpiece-trainer.js';
export { decomposeToken, expandVocabulary, extendTokenizer, fragmentation, type NewToken, type VocabExpansion, type VocabExpansionOptions } from './vocab-expand.js';
export { cjkShare, countCjkLetters, isMostlyCjk } from './cjk.js';
export { continuationMarks, tokeniseWithMarks, wholeWordIds, wordIdsFromMarks, type EncodingWithOffsets } from './whole-words.js';
