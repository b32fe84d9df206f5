// `adaptext download` and a model id on other commands, as a user runs them: a separate process
// with HF_ENDPOINT pointing at the local fake hub and HF_HUB_CACHE at a temp folder (cold cache,
// warm cache, offline with and without a cached copy).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startFakeHub, type FakeHub } from '../support/hub-server.js';
import { tinyBertFolder } from '../support/tiny-model.js';
import { tmp } from '../support/tmp.js';

const COMMIT = 'c'.repeat(40);
let hub: FakeHub;

before(async () => {
  const dir = tinyBertFolder({ corpus: 'hub-cli', texts: () => Array.from({ length: 100 }, (_, i) => `a plain review number ${i} of a pan`), vocab: 200 });
  hub = await startFakeHub({ 'org/tiny': { commit: COMMIT, files: Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f))])) } });
});
after(() => hub.close());

/** The CLI in a child process (async: the fake hub answers from this process's event loop). */
function cli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  const code = "const { main } = await import('./src/cli/main.ts'); process.exitCode = await main(process.argv.slice(2));";
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code, 'adaptext', ...args], {
    cwd: process.cwd(),
    env: { ...process.env, HF_TOKEN: '', HF_HUB_OFFLINE: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  return new Promise((ok) => child.on('close', (c) => ok({ code: c ?? -1, stdout, stderr })));
}

test('adaptext download: cold, warm, offline; inspect and encode take the id', async () => {
  const cache = tmp();
  const env = { HF_ENDPOINT: hub.url, HF_HUB_CACHE: cache };
  const snapshot = join(cache, 'models--org--tiny', 'snapshots', COMMIT);

  const cold = await cli(['download', 'org/tiny', '--progress', 'lines'], env);
  assert.equal(cold.code, 0, cold.stderr);
  assert.equal(cold.stdout, snapshot + '\n');
  assert.match(cold.stderr, new RegExp(`org/tiny: commit ${COMMIT}, (\\d+) files \\(\\1 fetched, 0 cached\\)`));
  // (a progress bar only for files of 1 MiB or more: this tiny model has none)

  const warm = await cli(['download', 'org/tiny', '--progress', 'none'], env);
  assert.equal(warm.stdout, snapshot + '\n');
  const offline = await cli(['download', 'org/tiny', '--progress', 'lines'], { ...env, HF_HUB_OFFLINE: '1', HF_ENDPOINT: 'http://127.0.0.1:9' });
  assert.equal(offline.code, 0, offline.stderr);
  assert.match(offline.stderr, /0 fetched, \d+ cached, offline/);

  const missing = await cli(['download', 'org/other'], { ...env, HF_HUB_OFFLINE: '1' });
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /org\/other@main\/config\.json: not in the cache .* HF_HUB_OFFLINE is set/);
  assert.equal(missing.stderr.trim().split('\n').length, 1, 'one line');

  const inspect = await cli(['inspect', 'org/tiny'], { ...env, HF_HUB_OFFLINE: '1' });
  assert.equal(inspect.code, 0, inspect.stderr);
  assert.ok(inspect.stdout.startsWith(snapshot), inspect.stdout);
  assert.match(inspect.stdout, /layers +2/);

  const input = join(tmp(), 'in.jsonl');
  writeFileSync(input, '{"text": "a plain review"}\n{"text": "of a pan"}\n');
  const out = join(tmp(), 'vectors.jsonl');
  const enc = await cli(['encode', '--model', 'org/tiny', '--input', input, '--output', out, '--progress', 'none'], env);
  assert.equal(enc.code, 0, enc.stderr);
  assert.equal(readFileSync(out, 'utf8').trim().split('\n').length, 2);

  const bad = await cli(['download', 'not/a/model'], env);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /not\/a\/model: not a Hugging Face model id/);
});
