// The config tables of the READMEs are generated from the schemas (tools/gen-docs.ts): a schema
// change without `npm run docs` fails here, so the documented keys and defaults cannot drift.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { regenerate, GENERATED_BLOCKS } from '../../tools/gen-docs.js';
import { replaceGeneratedBlock } from '../../src/io/schema-docs.js';

test('every generated block of the READMEs is current (run npm run docs after a schema change)', () => {
  assert.ok(GENERATED_BLOCKS.length >= 2);
  assert.deepEqual(regenerate().stale, []);
});

test('a stale block is found, and a file without the markers is an error naming it', () => {
  const text = 'a\n<!-- generated:x -->\nold\n<!-- /generated:x -->\nb\n';
  assert.equal(replaceGeneratedBlock(text, 'x', 'new', 'F.md'), 'a\n<!-- generated:x -->\nnew\n<!-- /generated:x -->\nb\n');
  assert.throws(() => replaceGeneratedBlock('no markers', 'x', 'new', 'F.md'), /^Error: F\.md: no <!-- generated:x -->/);
});
