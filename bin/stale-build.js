// A source checkout runs the compiled dist/: after new sources arrive (git pull, an edit) without
// `npm run build`, the command would run the older code without a word. `npm ci` / `npm install`
// rebuild through `prepare`; a published package has no src/ and is never stale.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/** The first src/ file (path relative to `root`) whose dist/ .js is missing or older than it, else null. */
export function staleSource(root) {
  const src = join(root, 'src');
  if (!existsSync(src)) return null;
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, e.name);
      if (e.isDirectory()) {
        const found = walk(path);
        if (found !== null) return found;
      } else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) {
        const built = join(root, 'dist', relative(src, path)).replace(/\.ts$/, '.js');
        if (!existsSync(built) || statSync(built).mtimeMs < statSync(path).mtimeMs) return relative(root, path);
      }
    }
    return null;
  };
  return walk(src);
}
