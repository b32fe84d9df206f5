// `adaptext vocab extend`: flags → `vocabExtend` (src/tasks/vocab.ts, which says what it does).
import type { Command } from 'commander';
import { vocabExtend, type VocabExtendOptions } from '../../tasks/index.js';
import { intArg, modelArg } from '../args.js';

export function register(program: Command): void {
  const vocab = program.command('vocab').description('vocabulary tools');
  vocab
    .command('extend')
    .description("add the top-K target sub-words to a model's vocabulary (FVT-initialised embeddings) and save model + tokenizer")
    .requiredOption('--model <dir>', 'model folder (WordPiece/BERT tokenizer) or hub model id')
    .requiredOption('--corpus <files...>', 'target-domain text: .txt lines or JSON Lines/CSV/TSV with a text field (.gz ok)')
    .requiredOption('--top-k <n>', 'at most this many new tokens', intArg('--top-k', 1))
    .requiredOption('--output <dir>', 'new model folder')
    .option('--min-frequency <n>', 'a new token must be used at least this often on the corpus', intArg('--min-frequency', 1), 5)
    .option('--text-field <name>', 'text field of JSON Lines / CSV / TSV corpora', 'text')
    .option('--overwrite', 'replace a non-empty output folder')
    .action(async (o: VocabExtendOptions) => {
      const r = vocabExtend({ ...o, model: await modelArg(o.model) });
      process.stdout.write(
        `added ${r.added} tokens (vocabulary ${r.baseVocabSize} -> ${r.vocabSize})\n` +
          `sub-words per word on the corpus: ${r.fragmentationBefore.toFixed(3)} -> ${r.fragmentationAfter.toFixed(3)}\n` +
          (r.examples.length > 0 ? `new tokens: ${r.examples.join(' ')}${r.added > r.examples.length ? ' ...' : ''}\n` : '') +
          `saved to ${o.output}\n`,
      );
    });
}
