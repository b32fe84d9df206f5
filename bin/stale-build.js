// A source checkout runs the compiled dist/: after new sources arrive (git pull, an edit) without
// `npm run build`, the command would run the older code without a word. `npm ci` / `npm install`
// rebuild through `prepare`; a published package has no src/ and is never stale.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/** The first src/ .ts file (sorted walk) whose dist/ .js is missing or older: {path relative to `root`, missing}, else null. */
export function staleSource(root) {
  const src = join(root, 'src');
  if (!existsSync(src)) return null;
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (e.name.startsWith('.')) continue; // editor lock and swap files
      const path = join(dir, e.name);
      if (e.isDirectory()) {
        const found = walk(path);
        if (found !== null) return found;
      } else if (e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) {
        const built = statSync(join(root, 'dist', relative(src, path)).replace(/\.ts$/, '.js'), { throwIfNoEntry: false });
        const source = statSync(path, { throwIfNoEntry: false });
        if (source === undefined) continue; // removed while we looked
        if (built === undefined || built.mtimeMs < source.mtimeMs) return { path: relative(root, path), missing: built === undefined };
      }
    }
    return null;
  };
  return walk(src);
}

/** The start-up warning for a stale build of the package at `root`, else null; never throws (a warning must not stop the command). */
export function staleWarning(root) {
  try {
    const s = staleSource(root);
    if (s === null) return null;
    return `adaptext: ${s.path} ${s.missing ? 'has no build in dist/' : 'is newer than its build in dist/'} (the older build runs); \`npm run build\` updates it`;
  } catch {
    return null;
  }
}
