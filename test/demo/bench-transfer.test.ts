// bench/transfer/run.ts refuses an --out that already holds one of its pair folders (a cut-short
// earlier run) before doing any work, naming the folder: the demo never writes into a non-empty
// folder, so the pair would otherwise be skipped hours later. Likewise an existing --json or
// --markdown file, which the run would overwrite.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmp } from './helpers.js';

test('bench:transfer: a leftover pair folder in --out is refused at once, by name', () => {
  const out = tmp();
  mkdirSync(join(out, 'books-dvd'));
  writeFileSync(join(out, 'books-dvd', 'demo.json'), '{}\n');
  const json = join(out, 'results.json');
  const r = spawnSync(process.execPath, ['--import', 'tsx', join('bench', 'transfer', 'run.ts'), '--pairs', 'dvd:kitchen,books:dvd', '--quick', '--out', out, '--json', json], { encoding: 'utf8' });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`${join(out, 'books-dvd').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} already exists \\(an earlier run\\?\\); remove them or choose another --out`));
  assert.ok(!existsSync(json), 'nothing written');
  assert.deepEqual(readdirSync(out).sort(), ['books-dvd']);
});

test('bench:transfer: an existing --json or --markdown file is refused at once, by name, and left as it was', () => {
  const out = tmp();
  for (const flag of ['--json', '--markdown']) {
    const file = join(out, `earlier${flag === '--json' ? '.json' : '.md'}`);
    writeFileSync(file, 'earlier results\n');
    const r = spawnSync(process.execPath, ['--import', 'tsx', join('bench', 'transfer', 'run.ts'), '--pairs', 'books:dvd', '--quick', '--out', join(out, 'runs'), flag, file], { encoding: 'utf8' });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`${flag} ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} already exists`));
    assert.equal(readFileSync(file, 'utf8'), 'earlier results\n');
    assert.ok(!existsSync(join(out, 'runs')), 'no run folder made');
  }
});
