// `adaptext demo` (also `npm start`): the whole method on real data, offline — books → kitchen
// (or --source/--target; --lang zh: the Chinese shopping categories, books → hotel) through source warm-up, MLM+DANN alignment and few-shot tuning on the
// bundled backbone and the bundled Amazon reviews, with the ablation rows and the TF-IDF
// baselines in one table, time per stage and report.html. src/demo/run.ts does the work.
import { Option, type Command } from 'commander';
import { parseSetFlag } from '../../train/config.js';
import { DEMO_CORPORA, DEMO_LANGUAGES, demoDomainError, formatTimings, runDemo } from '../../demo/index.js';
import { CliProgress, noteOnFirstStart, type ProgressMode } from '../../engine/progress.js';
import { backendLine } from '../../tensor/index.js';
import { StopRequest } from '../../engine/signals.js';
import { intArg, modelArg, precisionOption, progressOption, UsageError } from '../args.js';
import type { MatmulPrecision } from '../../tensor/index.js';

interface DemoFlags {
  lang: string;
  source?: string;
  target?: string;
  quick?: boolean;
  model?: string;
  out?: string;
  seed?: number;
  splitSeed?: number;
  shots?: number;
  precision?: MatmulPrecision;
  set: string[];
  quiet?: boolean;
  progress: ProgressMode;
}

export function register(program: Command): void {
  program
    .command('demo')
    .description('run the full pipeline with ablation on the bundled reviews and backbone (offline) and print the table')
    .addOption(new Option('--lang <lang>', `bundled data and backbone: ${langHelp()}`).choices([...DEMO_LANGUAGES]).default('en'))
    .option('--source <domain>', `labelled source domain (default ${defaultsHelp('defaultSource')})`)
    .option('--target <domain>', `target domain: unlabelled text + few-shot labels (default ${defaultsHelp('defaultTarget')})`)
    .option('--quick', 'a version of about a minute on 2 cores: fewer steps, 64 tokens per review')
    .option('--model <dir>', "HF BERT/RoBERTa folder or hub model id (org/name[@revision]) to use instead of the language's bundled backbone")
    .option('--out <dir>', 'output folder (default ./adaptext-demo-runs/<source>-<target>-<time>)')
    .option('--seed <n>', 'training seed (default 42)', intArg('--seed', 0))
    .option('--split-seed <n>', 'seed of the data splits and the few-shot draw (default 42 = the documented splits)', intArg('--split-seed', 0))
    .option('--shots <n>', 'target few-shot labels drawn from the target train split (default 200)', intArg('--shots', 2))
    .addOption(precisionOption())
    .option('--set <key=value>', 'override any pipeline config key, e.g. --set stage1.epochs=1 (repeatable)', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .addOption(progressOption())
    .option('--quiet', 'same as --progress none (the table is still printed)')
    .action(async (o: DemoFlags) => {
      const corpus = DEMO_CORPORA[o.lang as keyof typeof DEMO_CORPORA];
      for (const [flag, d] of [
        ['--source', o.source],
        ['--target', o.target],
      ] as const) {
        const why = d === undefined ? null : demoDomainError(corpus, flag, d);
        if (why !== null) throw new UsageError(why);
      }
      const progress = noteOnFirstStart(new CliProgress(process.stderr, { mode: o.quiet === true ? 'none' : o.progress }), () => backendLine());
      const stop = new StopRequest().install('demo');
      const r = await runDemo({
        lang: o.lang,
        source: o.source,
        target: o.target,
        quick: o.quick === true,
        model: o.model !== undefined ? await modelArg(o.model, o.quiet === true ? 'none' : o.progress) : undefined,
        out: o.out,
        seed: o.seed,
        splitSeed: o.splitSeed,
        shots: o.shots,
        overrides: [...(o.precision !== undefined ? [{ path: 'precision', value: o.precision, origin: '--precision' }] : []), ...o.set.map(parseSetFlag)],
        progress,
        stop,
      }).finally(() => stop.dispose());
      process.stdout.write(`\n${r.text}\n${formatTimings(r.timings, r.load)}\nreport: ${r.reportPath}\nrun folder: ${r.runDir}\n`);
    });
}

function langHelp(): string {
  return DEMO_LANGUAGES.map((l) => `${l} = ${DEMO_CORPORA[l].description}: ${DEMO_CORPORA[l].domains.join(', ')}, backbone ${DEMO_CORPORA[l].modelFolder}`).join('; ');
}

function defaultsHelp(key: 'defaultSource' | 'defaultTarget'): string {
  return DEMO_LANGUAGES.map((l) => `${DEMO_CORPORA[l][key]} for ${l}`).join(', ');
}
