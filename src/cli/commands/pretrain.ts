// `adaptext pretrain`: masked-LM pretraining from scratch (a WordPiece vocabulary is learned on
// the corpus) or continued pretraining of an HF folder (--model DIR), with checkpoints and
// --resume. See src/pretrain/pretrain.ts for the recipe and the output folder layout.
//
//   adaptext pretrain --out runs/mini corpus/*.jsonl.gz --heldout held.jsonl --layers 4 --hidden 256 \
//     --heads 4 --intermediate 1024 --vocab-size 16000 --max-length 128 --max-minutes 120
//   adaptext pretrain --resume runs/mini [--max-minutes 60]
import { StopRequest, StoppedBySignal } from '../../engine/signals.js';
import type { Command } from 'commander';
import { pretrain, PRETRAIN_DEFAULTS, type PretrainOptions } from '../../pretrain/index.js';
import { PROGRESS_MODES, type ProgressMode } from '../../engine/progress.js';
import { UsageError, countArg, intArg, numArg, progressArg } from '../args.js';

function collect(v: string, prev: string[] | undefined): string[] {
  return [...(prev ?? []), v];
}

interface Flags {
  out?: string;
  resume?: string;
  model?: string;
  heldout?: string[];
  textField?: string;
  layers?: number;
  hidden?: number;
  heads?: number;
  intermediate?: number;
  vocabSize?: number;
  maxLength?: number;
  dropout?: number;
  lowercase?: boolean;
  batchSize?: number;
  gradAccum?: number;
  lr?: number;
  warmupSteps?: number;
  weightDecay?: number;
  totalSteps?: number;
  clip?: number;
  mlmProbability?: number;
  seed?: number;
  maxSteps?: number;
  maxMinutes?: number;
  tokens?: number;
  evalEvery?: number;
  heldoutSequences?: number;
  checkpointEvery?: number;
  checkpointMinutes?: number;
  snapshotEvery?: number;
  logEvery?: number;
  progress?: ProgressMode;
}

export function register(program: Command): void {
  const d = PRETRAIN_DEFAULTS;
  program
    .command('pretrain')
    .description('masked-LM pretraining: from scratch (learns a WordPiece vocabulary) or continued from --model DIR; resumable')
    .argument('[inputs...]', 'training corpus: .txt (one record per line) or .jsonl (a `text` field) files or globs; .gz is read transparently')
    .option('--out <dir>', 'output folder (HF model folder + checkpoint/ + log.jsonl)')
    .option('--resume <dir>', 'continue the run in <dir> from its last checkpoint (stop conditions and cadence flags may be changed)')
    .option('--model <dir>', 'continue pretraining this HF folder (domain-adaptive pretraining) instead of starting from scratch')
    .option('--heldout <file>', 'held-out corpus for MLM loss/perplexity (repeatable; each reported separately)', collect)
    .option('--text-field <name>', 'JSON Lines field holding the text', d.textField)
    .option('--layers <n>', 'encoder layers (from scratch)', intArg('--layers', 1), d.layers)
    .option('--hidden <n>', 'hidden size', intArg('--hidden', 1), d.hidden)
    .option('--heads <n>', 'attention heads', intArg('--heads', 1), d.heads)
    .option('--intermediate <n>', 'feed-forward size', intArg('--intermediate', 1), d.intermediate)
    .option('--vocab-size <n>', 'WordPiece vocabulary size to learn', intArg('--vocab-size', 10), d.vocabSize)
    .option('--max-length <n>', 'sequence length (packed; also max_position_embeddings from scratch)', intArg('--max-length', 8), d.maxLength)
    .option('--dropout <p>', 'hidden and attention dropout (from scratch)', numArg('--dropout', 0), d.dropout)
    .option('--no-lowercase', 'keep case (from scratch; default lower-cases like bert-base-uncased)')
    .option('--batch-size <n>', 'sequences per micro-batch', intArg('--batch-size', 1), d.batchSize)
    .option('--grad-accum <n>', 'micro-batches per optimizer step', intArg('--grad-accum', 1), d.gradAccum)
    .option('--lr <x>', 'peak learning rate', numArg('--lr', 0), d.lr)
    .option('--warmup-steps <n>', 'linear warm-up steps', intArg('--warmup-steps', 0), d.warmupSteps)
    .option('--weight-decay <x>', 'AdamW weight decay (not on biases/LayerNorm)', numArg('--weight-decay', 0), d.weightDecay)
    .option('--total-steps <n>', 'schedule horizon: lr decays linearly to 0 at this step (default: --max-steps, or --tokens / tokens per step, else 10000)', intArg('--total-steps', 1))
    .option('--clip <x>', 'global gradient-norm clip', numArg('--clip', 0), d.clip)
    .option('--mlm-probability <p>', 'share of tokens selected for MLM (80/10/10)', numArg('--mlm-probability', 0), d.mlmProbability)
    .option('--seed <n>', 'seed (init, data order, masking, dropout)', intArg('--seed', 0), d.seed)
    .option('--max-steps <n>', 'stop after this many optimizer steps (0 = no limit)', intArg('--max-steps', 0), d.maxSteps)
    .option('--max-minutes <x>', 'stop cleanly at a checkpoint after this many minutes of this session (0 = no limit)', numArg('--max-minutes', 0), d.maxMinutes)
    .option('--tokens <n>', 'stop after this many training tokens, e.g. 20M (0 = no limit)', countArg('--tokens'), d.maxTokens)
    .option('--eval-every <n>', 'held-out evaluation every n steps (0 = only at start and end)', intArg('--eval-every', 0), d.evalEvery)
    .option('--heldout-sequences <n>', 'sequences scored per held-out file', intArg('--heldout-sequences', 1), d.heldoutSequences)
    .option('--checkpoint-every <n>', 'checkpoint every n steps (0 = off)', intArg('--checkpoint-every', 0), d.checkpointEvery)
    .option('--checkpoint-minutes <x>', 'checkpoint every x minutes (0 = off)', numArg('--checkpoint-minutes', 0), d.checkpointMinutes)
    .option('--snapshot-every <n>', 'keep an fp16 HF snapshot in snapshots/ every n steps (0 = off)', intArg('--snapshot-every', 0), d.snapshotEvery)
    .option('--log-every <n>', 'log/progress line every n steps', intArg('--log-every', 1), d.logEvery)
    .option('--progress <mode>', `${PROGRESS_MODES.join(' | ')}: a bar on a terminal, lines otherwise (auto), or nothing`, progressArg, d.progress)
    .action(async (inputs: string[], f: Flags, cmd: Command) => {
      if (f.resume !== undefined) {
        if (inputs.length > 0 || f.out !== undefined || f.model !== undefined) {
          throw new UsageError('--resume takes its inputs and options from the run folder; give only stop conditions (--max-steps, --max-minutes, --tokens) and cadence flags with it');
        }
        // Only flags the user actually typed override the saved run.
        const given = (k: string) => cmd.getOptionValueSource(k) === 'cli';
        const overrides: Record<string, unknown> = {};
        for (const [flag, key] of [['maxSteps', 'maxSteps'], ['maxMinutes', 'maxMinutes'], ['tokens', 'maxTokens'], ['checkpointEvery', 'checkpointEvery'], ['checkpointMinutes', 'checkpointMinutes'], ['snapshotEvery', 'snapshotEvery'], ['logEvery', 'logEvery'], ['progress', 'progress'], ['evalEvery', 'evalEvery']] as const) {
          if (given(flag)) overrides[key] = f[flag];
        }
        const others = cmd.options.map((o) => o.attributeName()).filter((k) => given(k) && !['resume', 'maxSteps', 'maxMinutes', 'tokens', 'checkpointEvery', 'checkpointMinutes', 'snapshotEvery', 'logEvery', 'progress', 'evalEvery'].includes(k));
        if (others.length > 0) throw new UsageError(`--resume continues the saved run; these flags cannot change: ${others.map((k) => '--' + k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())).join(', ')}`);
        await runWithStop({ resume: f.resume, overrides });
        return;
      }
      if (f.out === undefined) throw new UsageError('--out <dir> is required (or --resume <dir>)');
      if (inputs.length === 0) throw new UsageError('no training corpus given (pass .txt / .jsonl files or globs)');
      const tokensPerStep = f.batchSize! * f.maxLength! * f.gradAccum!;
      const totalSteps = f.totalSteps ?? (f.maxSteps! > 0 ? f.maxSteps! : f.tokens! > 0 ? Math.ceil(f.tokens! / tokensPerStep) : d.totalSteps);
      const o: PretrainOptions = {
        out: f.out,
        inputs,
        heldout: f.heldout ?? [],
        textField: f.textField!,
        model: f.model ?? null,
        layers: f.layers!,
        hidden: f.hidden!,
        heads: f.heads!,
        intermediate: f.intermediate!,
        vocabSize: f.vocabSize!,
        maxLength: f.maxLength!,
        dropout: f.dropout!,
        lowercase: f.lowercase !== false,
        batchSize: f.batchSize!,
        gradAccum: f.gradAccum!,
        lr: f.lr!,
        warmupSteps: Math.min(f.warmupSteps!, totalSteps),
        weightDecay: f.weightDecay!,
        totalSteps,
        clip: f.clip!,
        mlmProbability: f.mlmProbability!,
        seed: f.seed!,
        maxSteps: f.maxSteps!,
        maxMinutes: f.maxMinutes!,
        maxTokens: f.tokens!,
        evalEvery: f.evalEvery!,
        heldoutSequences: f.heldoutSequences!,
        checkpointEvery: f.checkpointEvery!,
        checkpointMinutes: f.checkpointMinutes!,
        snapshotEvery: f.snapshotEvery!,
        logEvery: f.logEvery!,
        progress: f.progress!,
      };
      await runWithStop(o);
    });
}

/** Run with the CLI's signal policy: a signal-stopped run exits 130/143 and says how to resume. */
async function runWithStop(o: Parameters<typeof pretrain>[0]): Promise<void> {
  const stop = new StopRequest().install('pretrain');
  try {
    const r = await pretrain(o, { stop });
    if (stop.signal !== null) throw new StoppedBySignal(stop.signal, `stopped by ${stop.signal} at step ${r.step} (checkpoint written); continue with: adaptext pretrain --resume ${r.out}`);
  } finally {
    stop.dispose();
  }
}
