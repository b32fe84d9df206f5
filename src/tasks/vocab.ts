// `vocabExtend` (`adaptext vocab extend --model DIR --corpus FILE... --top-k N --output DIR`)
//
// Learns WordPiece sub-words on the target corpus, appends the top-K new ones that cut
// fragmentation most, grows the embedding matrix (new row = mean of its old sub-tokens'
// embeddings, FVT; the tied MLM decoder follows) and saves model + extended tokenizer as a new
// folder. Prints average sub-words per word on the corpus before and after. The corpus: .txt
// (one text per line) or JSON Lines / CSV / TSV with a text field, optionally .gz.
import { readDataset } from '../data/index.js';
import { loadModel, saveModel } from '../models/index.js';
import { checkNewOutputDir } from '../io/atomic.js';
import { lockDir } from '../io/lock.js';
import { basename, dirname, resolve } from 'node:path';
import { mkdirSync } from 'node:fs';
import { loadTokenizer } from '../text/index.js';
import { exampleText, extendModelVocabulary, type VocabInfo } from '../train/vocab.js';

export interface VocabExtendOptions {
  model: string;
  corpus: string[];
  topK: number;
  output: string;
  minFrequency?: number;
  textField?: string;
  overwrite?: boolean;
}

export function vocabExtend(o: VocabExtendOptions): VocabInfo & { vocabSize: number } {
  if (o.overwrite !== true) checkNewOutputDir(o.output, 'pass --overwrite to replace it');
  // one writer per output folder (it need not exist yet: the lock lives beside it)
  const out = resolve(o.output);
  mkdirSync(dirname(out), { recursive: true });
  const lock = lockDir(dirname(out), 'vocab extend', `.${basename(out)}.adaptext.lock`);
  try {
    if (o.overwrite !== true) checkNewOutputDir(o.output, 'pass --overwrite to replace it'); // again, under the lock
    return extendLocked(o);
  } finally {
    lock.release();
  }
}

function extendLocked(o: VocabExtendOptions): VocabInfo & { vocabSize: number } {
  const texts: string[] = [];
  for (const f of o.corpus) {
    const ds = readDataset(f, { task: 'unlabelled', textField: o.textField ?? 'text' });
    for (const e of ds.examples) texts.push(exampleText(e));
  }
  const { model } = loadModel(o.model);
  const tokenizer = loadTokenizer(o.model);
  const r = extendModelVocabulary(model, tokenizer, texts, { topK: o.topK, minFrequency: o.minFrequency });
  saveModel(model, o.output, { tokenizer: r.tokenizer });
  return { ...r.info, vocabSize: r.tokenizer.vocabSize };
}
