// The Hugging Face Hub cache layout, shared with Python's `huggingface_hub`, so a model fetched by
// either is used by the other as is:
//
//   <cache>/models--<org>--<name>/
//     blobs/<etag>                      file contents; etag = sha256 (LFS files) or git blob sha1
//     blobs/<etag>.incomplete           a transfer in progress (resumed with a Range request)
//     refs/<revision>                   the commit a branch or tag pointed to when last resolved
//     snapshots/<commit>/<file>         relative symlink → ../../blobs/<etag>
//     .no_exist/<commit>/<file>         empty: the hub said this file does not exist at that commit
//
// <cache> = $HF_HUB_CACHE, else $HF_HOME/hub, else $XDG_CACHE_HOME/huggingface/hub, else
// ~/.cache/huggingface/hub (huggingface_hub's constants.py, same precedence).
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export type Env = Readonly<Record<string, string | undefined>>;

const COMMIT = /^[0-9a-f]{40}$/;

export function isCommitHash(revision: string): boolean {
  return COMMIT.test(revision);
}

/** `~` and `$VAR` / `${VAR}` expanded, as huggingface_hub does for its path variables. */
export function expandPath(p: string, env: Env = process.env): string {
  const vars = p.replace(/\$\{(\w+)\}|\$(\w+)/g, (m, a: string | undefined, b: string | undefined) => env[a ?? b ?? ''] ?? m);
  return vars === '~' || vars.startsWith('~/') ? join(homedir(), vars.slice(1)) : vars;
}

/** $HF_HOME, else $XDG_CACHE_HOME/huggingface, else ~/.cache/huggingface. */
export function hfHome(env: Env = process.env): string {
  if (env['HF_HOME']) return expandPath(env['HF_HOME'], env);
  return join(env['XDG_CACHE_HOME'] ? expandPath(env['XDG_CACHE_HOME'], env) : join(homedir(), '.cache'), 'huggingface');
}

export function hubCacheDir(env: Env = process.env): string {
  const given = env['HF_HUB_CACHE'] || env['HUGGINGFACE_HUB_CACHE'];
  return given ? expandPath(given, env) : join(hfHome(env), 'hub');
}

/** `org/name` → `models--org--name`. */
export function repoFolderName(repoId: string): string {
  return ['models', ...repoId.split('/')].join('--');
}

export function repoDir(cache: string, repoId: string): string {
  return join(cache, repoFolderName(repoId));
}

/** The commit `revision` resolves to in the cache (a commit hash is itself), or null. */
export function cachedCommit(cache: string, repoId: string, revision: string): string | null {
  if (isCommitHash(revision)) return revision;
  const ref = join(repoDir(cache, repoId), 'refs', revision);
  if (!existsSync(ref)) return null;
  const commit = readFileSync(ref, 'utf8').trim();
  return isCommitHash(commit) ? commit : null;
}

export function snapshotDir(cache: string, repoId: string, commit: string): string {
  return join(repoDir(cache, repoId), 'snapshots', commit);
}

/** A cached file: its path, 'missing' when the hub said it does not exist, or null when not cached. */
export function cachedFile(cache: string, repoId: string, commit: string, file: string): string | 'missing' | null {
  const p = join(snapshotDir(cache, repoId, commit), file);
  if (existsSync(p)) return p; // existsSync follows the symlink: a dangling link is not a cached file
  if (existsSync(join(repoDir(cache, repoId), '.no_exist', commit, file))) return 'missing';
  return null;
}
