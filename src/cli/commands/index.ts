// Subcommand registry: each command lives in its own file and exports `register(program)`.
import type { Command } from 'commander';
import { register as registerEncode } from './encode.js';
import { register as registerInspect } from './inspect.js';
import { register as registerPretrain } from './pretrain.js';

export function registerCommands(program: Command): void {
  registerInspect(program);
  registerEncode(program);
  registerPretrain(program);
}
