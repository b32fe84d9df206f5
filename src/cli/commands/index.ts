// Subcommand registry: each command lives in its own file and exports `register(program)`.
import type { Command } from 'commander';
import { register as registerBuildNative } from './build-native.js';
import { register as registerDemo } from './demo.js';
import { register as registerDoctor } from './doctor.js';
import { register as registerDownload } from './download.js';
import { register as registerEncode } from './encode.js';
import { register as registerInspect } from './inspect.js';
import { register as registerPretrain } from './pretrain.js';
import { register as registerEval } from './eval.js';
import { register as registerExport } from './export.js';
import { register as registerPredict } from './predict.js';
import { register as registerServe } from './serve.js';
import { register as registerTrain } from './train.js';
import { register as registerVocab } from './vocab.js';

export function registerCommands(program: Command): void {
  registerInspect(program);
  registerEncode(program);
  registerPretrain(program);
  registerTrain(program);
  registerEval(program);
  registerPredict(program);
  registerServe(program);
  registerVocab(program);
  registerDemo(program);
  registerDownload(program);
  registerExport(program);
  registerDoctor(program);
  registerBuildNative(program);
}
