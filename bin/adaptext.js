#!/usr/bin/env node
// Entry point of the `adaptext` command; the TypeScript is compiled to dist/ by `npm install` (prepare).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { staleWarning } from './stale-build.js';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('adaptext: dist/ is missing; run `npm install` (or `npm run build`) in the package folder first\n');
  process.exit(1);
}
const stale = staleWarning(fileURLToPath(new URL('..', import.meta.url)));
if (stale !== null) process.stderr.write(`${stale}\n`);
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
