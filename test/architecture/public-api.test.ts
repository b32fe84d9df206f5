// The library's entry points: `adaptext` is a short, curated API (not `export *` of every area),
// every name the README's Library section imports exists there, and every subpath entry point in
// package.json (`adaptext/tensor`, ...) is an area index that exists.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..', '..');

test("the main entry point is a curated list, and the README's Library examples import only from it", async () => {
  const api = await import('../../src/index.js');
  const names = Object.keys(api);
  assert.ok(names.length >= 30 && names.length <= 80, `${names.length} runtime exports: the main API should stay a readable list`);
  for (const internal of ['jsKernels', 'matmul', 'TrainBatches', 'demoConfigObject', 'PipelineSchema', 'minimizeLbfgs', 'RESUME_OVERRIDABLE']) {
    assert.ok(!names.includes(internal), `${internal} is an internal building block, not main API`);
  }
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const imports = [...readme.matchAll(/import \{([^}]+)\} from 'adaptext';/g)].flatMap((m) => m[1]!.split(',').map((s) => s.trim().replace(/^type\s+/, '')));
  assert.ok(imports.length >= 3, 'the README shows library use');
  // type-only exports do not exist at run time: read them from the index's `export type { ... }` lines
  const index = readFileSync(join(ROOT, 'src', 'index.ts'), 'utf8');
  const types = [...index.matchAll(/export type \{([^}]+)\}/g)].flatMap((m) => m[1]!.split(',').map((s) => s.trim()));
  for (const n of imports) assert.ok(names.includes(n) || types.includes(n), `README imports ${n} from 'adaptext', which does not export it`);
});

test('every subpath entry point of package.json is an area index', async () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, string | { types: string; default: string }> };
  for (const [sub, target] of Object.entries(pkg.exports)) {
    if (typeof target === 'string') continue; // ./package.json
    const m = /^\.\/dist\/(.*)\.js$/.exec(target.default);
    assert.ok(m !== null, `${sub}: ${target.default} is not under dist/`);
    assert.equal(target.types, `./dist/${m![1]}.d.ts`, `${sub}: types and code disagree`);
    const src = join(ROOT, 'src', `${m![1]}.ts`);
    assert.ok(existsSync(src), `${sub}: ${src} does not exist`);
    const mod = (await import(src)) as Record<string, unknown>;
    assert.ok(Object.keys(mod).length > 0, `${sub}: exports nothing`);
  }
});
