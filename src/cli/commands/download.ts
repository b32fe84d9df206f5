// `adaptext download MODEL_ID [--revision R]`: fetch the files adaptext reads of a Hugging Face
// Hub model into the shared cache (src/hub) and print the snapshot folder, which any command
// (and Python's transformers) then loads. HF_ENDPOINT, HF_TOKEN, HF_HUB_CACHE / HF_HOME and
// HF_HUB_OFFLINE apply as in huggingface_hub.
import type { Command } from 'commander';
import { CliProgress, type ProgressMode } from '../../engine/progress.js';
import { downloadModel, formatModelId, parseModelId } from '../../hub/index.js';
import { UsageError, progressOption } from '../args.js';

export function register(program: Command): void {
  program
    .command('download')
    .description('fetch a Hugging Face Hub model (config, weights, tokenizer) into the HF cache and print its folder')
    .argument('<model_id>', 'org/name, optionally @revision (branch, tag or commit)')
    .option('--revision <rev>', 'branch, tag or commit (instead of @revision)')
    .addOption(progressOption())
    .action(async (ref: string, o: { revision?: string; progress: ProgressMode }) => {
      const id = parseModelId(ref);
      if (id === null) throw new UsageError(`${ref}: not a Hugging Face model id (org/name[@revision])`);
      if (o.revision !== undefined && id.revision !== null) throw new UsageError(`give the revision once: ${ref} or --revision ${o.revision}`);
      const want = { ...id, revision: o.revision ?? id.revision };
      const progress = new CliProgress(process.stderr, { mode: o.progress });
      const r = await downloadModel(want, { progress });
      progress.note(
        `${formatModelId(want)}: commit ${r.commit}, ${r.files.length} files (${r.fetched} fetched, ${r.files.length - r.fetched} cached${r.offline ? ', offline' : ''}): ${r.files.join(', ')}`,
      );
      process.stdout.write(r.dir + '\n');
    });
}
