// `adaptext export`: flags → `exportModel` (src/deploy/export.ts, which says what it writes).
import { Option, type Command } from 'commander';
import { exportModel } from '../../deploy/index.js';
import { modelArg, UsageError } from '../args.js';

interface ExportFlags {
  model: string;
  domain?: string;
  head?: string;
  format: 'onnx' | 'web';
  output: string;
  quantize?: 'int8';
  web?: boolean;
  overwrite?: boolean;
}

export function register(program: Command): void {
  program
    .command('export')
    .description("write one domain's model (encoder + its adapters + task head) as ONNX in a folder transformers.js and onnxruntime load")
    .requiredOption('--model <run_or_model>', 'run folder (its latest finished stage), model folder or hub model id')
    .requiredOption('--output <dir>', 'export folder (config.json, tokenizer files, onnx/model.onnx)')
    .option('--domain <name>', 'domain whose adapter (and task head) to export (run default: the target domain)')
    .option('--head <name>', 'task head to export')
    .addOption(new Option('--format <format>', 'onnx: the model folder; web: the folder plus a page that classifies in the browser').choices(['onnx', 'web']).default('onnx'))
    .addOption(new Option('--quantize <type>', 'also write onnx/model_quantized.onnx with int8 weights (dynamic quantization)').choices(['int8']))
    .option('--web', 'same as --format web')
    .option('--overwrite', 'replace a non-empty output folder')
    .action(async (o: ExportFlags) => {
      if (o.output.trim() === '') throw new UsageError('--output must name a folder');
      const r = exportModel({
        model: await modelArg(o.model),
        domain: o.domain,
        head: o.head,
        output: o.output,
        quantize: o.quantize === 'int8',
        web: o.web === true || o.format === 'web',
        overwrite: o.overwrite,
      });
      for (const n of r.notes) process.stderr.write(`note: ${n}\n`);
      const size = (f: string) => r.files.find((x) => x.path === f);
      const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
      const fp32 = size('onnx/model.onnx');
      const int8 = size('onnx/model_quantized.onnx');
      process.stdout.write(
        `exported adapter ${r.adapter ?? 'none'}, head ${r.head} (${r.labels.join(', ')}) in ${r.seconds.toFixed(1)} s -> ${r.output}\n` +
          (fp32 !== undefined ? `  onnx/model.onnx ${mb(fp32.bytes)}\n` : '') +
          (int8 !== undefined ? `  onnx/model_quantized.onnx ${mb(int8.bytes)}\n` : '') +
          (r.files.some((f) => f.path === 'index.html') ? `  index.html: serve the folder over http (e.g. npx http-server ${o.output}) and open it\n` : ''),
      );
    });
}
