// Where the installed adaptext package lives and which version it is: read from its package.json,
// found from this file's location, so it works from src/ (tsx) and from dist/ alike (both sit one
// level below the package root). (src/tensor/kernels/native.ts walks up on its own: the tensor core
// sits beside io, not above it.)
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root (the folder holding package.json, data/ and models/). */
export function packageRoot(): string {
  return resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
}

let version: string | undefined;

/** The `version` field of adaptext's package.json ("0.0.0" if it cannot be read). */
export function packageVersion(): string {
  if (version === undefined) {
    try {
      version = String((JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version?: unknown }).version ?? '0.0.0');
    } catch {
      version = '0.0.0';
    }
  }
  return version;
}
