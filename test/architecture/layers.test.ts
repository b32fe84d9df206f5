// The tree shows the architecture, and this test keeps it that way: every import inside src/
// goes from a higher layer to a lower one (or stays in its own area). Areas of one layer do not
// import each other, so the layers form a DAG with no cycles between areas.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const SRC = resolve(import.meta.dirname, '..', '..', 'src');

/** Lower number = lower layer. */
const LAYER: Record<string, number> = {
  tensor: 0,
  io: 0,
  engine: 0, // the tensor core, file formats and bounded reads, what every loop shares
  hub: 1, // model ids: the Hugging Face cache and downloads (read through io, report through engine)
  nn: 2,
  optim: 2,
  text: 2, // text: tokenizers (read their files through io; a model id through hub)
  models: 3,
  data: 3,
  eval: 3,
  baselines: 4,
  checkpoint: 4, // checkpoint: the store every training run writes
  train: 5,
  pretrain: 5,
  demo: 6,
  deploy: 6, // deploy: ONNX export, the transformers.js folder and page, the HTTP server
  tasks: 6, // tasks: what each command does, as library calls
  cli: 7,
};

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const areaOf = (file: string): string => relative(SRC, file).split(/[\\/]/)[0]!;

test('every area of src/ has a layer', () => {
  const areas = readdirSync(SRC).filter((f) => statSync(join(SRC, f)).isDirectory());
  assert.deepEqual(
    areas.filter((a) => LAYER[a] === undefined),
    [],
    'add new areas to LAYER',
  );
});

test('imports only go down the layers', () => {
  const bad: string[] = [];
  let imports = 0;
  for (const f of files(SRC)) {
    if (f === join(SRC, 'index.ts')) continue; // the package entry re-exports every area
    const from = areaOf(f);
    const text = readFileSync(f, 'utf8');
    for (const m of text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) {
      const to = areaOf(resolve(dirname(f), m[1]!));
      imports++;
      if (to === from) continue;
      if (!(LAYER[to]! < LAYER[from]!)) bad.push(`${relative(SRC, f)} (${from}, layer ${LAYER[from]}) imports ${m[1]} (${to}, layer ${LAYER[to]})`);
    }
  }
  assert.ok(imports > 200, `only ${imports} relative imports found: the pattern is broken`);
  assert.deepEqual(bad, []);
});
