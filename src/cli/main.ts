// The `adaptext` command: one file per subcommand under src/cli/commands, registered here.
// Every failure becomes one line on stderr (`adaptext <cmd>: <reason>`) and a non-zero exit code:
// 1 = the work failed (bad input, missing file, ...), 2 = bad usage, 130/143 = stopped by SIGINT/SIGTERM
// at a checkpoint (resumable). ADAPTEXT_DEBUG=1 adds the stack.
import { Command, CommanderError } from 'commander';
import { registerCommands } from './commands/index.js';
import { StoppedBySignal } from '../engine/signals.js';
import { UsageError } from './args.js';
import { packageVersion } from '../io/package-info.js';

let outputGuarded = false;

/**
 * Errors writing our own output are not crashes: a reader that went away (`adaptext predict … | head`,
 * EPIPE) ends the command quietly; a full or failing device (`> /dev/full`: ENOSPC, EIO) gives one
 * line on stderr and exit code 1 instead of a stack trace.
 */
function guardOutput(): void {
  if (outputGuarded) return;
  outputGuarded = true;
  for (const [stream, name] of [
    [process.stdout, 'standard output'],
    [process.stderr, 'standard error'],
  ] as const) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(0);
      if (stream !== process.stderr) {
        try {
          process.stderr.write(`adaptext: cannot write to ${name} (${e.message.replace(/, write$/, '')})\n`);
        } catch {
          // stderr is gone too: the exit code says it
        }
      }
      process.exit(1);
    });
  }
}

export async function main(argv: string[]): Promise<number> {
  guardOutput();
  const program = new Command();
  program
    .name('adaptext')
    .description('Cross-domain text transfer learning for BERT/RoBERTa: adapters per domain, DANN alignment, few-shot tuning')
    .version(packageVersion(), '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerCommands(program);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // help/version print and exit 0; usage errors were already printed by commander
      return err.exitCode === 0 ? 0 : 2;
    }
    const e = err as Error;
    const cmd = program.args[0] ? ` ${program.args[0]}` : '';
    if (err instanceof UsageError) {
      process.stderr.write(`adaptext${cmd}: ${err.message}\n(run with --help for usage)\n`);
      return 2;
    }
    if (err instanceof StoppedBySignal) {
      // not a failure: the run is checkpointed and resumable; the shell's code for the signal
      process.stderr.write(`adaptext${cmd}: ${err.message}\n`);
      return err.exitCode;
    }
    process.stderr.write(`adaptext${cmd}: ${e?.message ?? String(err)}\n`);
    if (process.env['ADAPTEXT_DEBUG']) process.stderr.write(`${e?.stack ?? ''}\n`);
    return 1;
  }
}
