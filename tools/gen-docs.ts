// `npm run docs`: rewrites the generated blocks of the READMEs (`<!-- generated:NAME -->`) from
// the config schemas, so the documented fields and defaults are the validator's.
// `npm run docs -- --check` only reports stale blocks (exit 1); test/architecture/docs.test.ts
// runs the same check in CI.
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fieldTable, replaceGeneratedBlock } from '../src/io/schema-docs.js';
import { PretrainSchema } from '../src/pretrain/options.js';
import { PipelineSchema } from '../src/train/config.js';

const ROOT = resolve(import.meta.dirname, '..');

export const GENERATED_BLOCKS: ReadonlyArray<{ file: string; name: string; body: () => string }> = [
  { file: 'src/pretrain/README.md', name: 'pretrain-options', body: () => fieldTable(PretrainSchema) },
  { file: 'src/train/README.md', name: 'pipeline-config', body: () => fieldTable(PipelineSchema) },
];

/** Each file's text with its blocks regenerated; `stale` lists the blocks that changed. */
export function regenerate(): { files: Map<string, { before: string; after: string }>; stale: string[] } {
  const files = new Map<string, { before: string; after: string }>();
  const stale: string[] = [];
  for (const b of GENERATED_BLOCKS) {
    const path = join(ROOT, b.file);
    const cur = files.get(path) ?? { before: readFileSync(path, 'utf8'), after: readFileSync(path, 'utf8') };
    const next = replaceGeneratedBlock(cur.after, b.name, b.body(), b.file);
    if (next !== cur.after) stale.push(`${b.file} (${b.name})`);
    files.set(path, { before: cur.before, after: next });
  }
  return { files, stale };
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const { files, stale } = regenerate();
  if (process.argv.includes('--check')) {
    if (stale.length > 0) {
      process.stderr.write(`gen-docs: stale generated blocks: ${stale.join(', ')}; run npm run docs\n`);
      process.exit(1);
    }
  } else {
    for (const [path, { before, after }] of files) if (after !== before) writeFileSync(path, after);
    process.stdout.write(stale.length > 0 ? `gen-docs: rewrote ${stale.join(', ')}\n` : 'gen-docs: every generated block is current\n');
  }
}
