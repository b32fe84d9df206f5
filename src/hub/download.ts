// Fetching files of a Hugging Face Hub model into the shared cache (src/hub/cache.ts), the way
// Python's `hf_hub_download` does, so each side uses what the other fetched:
//   1. HEAD {endpoint}/{repo}/resolve/{revision}/{file}, following only relative redirects (a
//      renamed repo); the metadata is read from that response even when it redirects to a CDN:
//      X-Repo-Commit, X-Linked-Etag / ETag (sha256 of an LFS file, else the git blob sha1),
//      X-Linked-Size / Content-Length, Location (where the bytes are);
//   2. blobs/<etag> already there → only the snapshot link; else GET into blobs/<etag>.incomplete,
//      resuming a previous partial transfer with `Range: bytes=N-` (and retrying a cut connection
//      the same way), verified against the etag (sha256, or sha1 of "blob <size>\0" + bytes)
//      before it is renamed into place — a wrong checksum leaves nothing that looks valid;
//   3. snapshots/<commit>/<file> → ../../blobs/<etag>, refs/<revision> → commit; a 404 for a file
//      leaves .no_exist/<commit>/<file>, so offline use knows it is absent rather than missing.
//
// Why not the official `@huggingface/hub` package: its downloadFileToCacheDir writes the same
// layout but does not resume, verify, work offline, report progress or return the commit, and
// needs the hub's JSON API (paths-info), which mirrors do not all serve; what would remain of it
// here are two path helpers. The HTTP above is ~200 lines on Node's fetch.
import { createHash, type Hash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync, writeSync, copyFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { updateWithFile } from '../io/hash.js';
import { LockBusyError, lockDir, type DirLock } from '../io/lock.js';
import { silentProgress, type ProgressSink } from '../engine/progress.js';
import { cachedCommit, cachedFile, expandPath, hfHome, hubCacheDir, isCommitHash, repoDir, snapshotDir, type Env } from './cache.js';

export const DEFAULT_ENDPOINT = 'https://huggingface.co';

export interface HubOptions {
  /** Hub or mirror base URL. Default $HF_ENDPOINT, else https://huggingface.co. */
  endpoint?: string;
  /** Access token (gated/private models). Default $HF_TOKEN, else the file $HF_HOME/token (`hf auth login`). */
  token?: string | null;
  /** Cache folder. Default hubCacheDir(): $HF_HUB_CACHE, $HF_HOME/hub, ~/.cache/huggingface/hub. */
  cacheDir?: string;
  /** Use the cache only. Default: $HF_HUB_OFFLINE is 1/true/yes/on. */
  offline?: boolean;
  progress?: ProgressSink;
  /** Environment to read the defaults from (tests). Default process.env. */
  env?: Env;
  /** fetch implementation (proxies, tests). Default the global fetch. */
  fetch?: typeof fetch;
}

export interface ResolvedHubOptions {
  endpoint: string;
  token: string | null;
  cacheDir: string;
  offline: boolean;
  progress: ProgressSink;
  fetch: typeof fetch;
}

const TRUE = /^(1|true|yes|on)$/i;

export function resolveHubOptions(o: HubOptions = {}): ResolvedHubOptions {
  const env = o.env ?? process.env;
  // huggingface_hub's order: HF_TOKEN, the legacy HUGGING_FACE_HUB_TOKEN, then the token file
  // ($HF_TOKEN_PATH, else $HF_HOME/token) that `hf auth login` writes
  let token = o.token === undefined ? env['HF_TOKEN'] || env['HUGGING_FACE_HUB_TOKEN'] || null : o.token;
  if (o.token === undefined && token === null) {
    const file = expandPath(env['HF_TOKEN_PATH'] || '', env) || join(hfHome(env), 'token');
    if (existsSync(file)) token = readFileSync(file, 'utf8').trim() || null;
  }
  return {
    endpoint: (o.endpoint ?? env['HF_ENDPOINT'] ?? DEFAULT_ENDPOINT).replace(/\/+$/, ''),
    token,
    cacheDir: o.cacheDir ?? hubCacheDir(env),
    offline: o.offline ?? (TRUE.test(env['HF_HUB_OFFLINE'] ?? '') || TRUE.test(env['TRANSFORMERS_OFFLINE'] ?? '')),
    progress: o.progress ?? silentProgress,
    fetch: o.fetch ?? globalThis.fetch,
  };
}

/** What the hub says about one file at one revision. */
export type FileMeta = { exists: true; commit: string; etag: string; size: number; url: string } | { exists: false; commit: string | null };

/** An error the hub answered with (not a network failure): no retry, no fallback to the cache. */
export class HubError extends Error {}

function fileUrl(o: ResolvedHubOptions, repoId: string, revision: string, file: string): string {
  return `${o.endpoint}/${repoId}/resolve/${encodeURIComponent(revision)}/${file.split('/').map(encodeURIComponent).join('/')}`;
}

/** Request headers; the token only goes to the hub itself, never to the CDN or storage a file redirects to. */
function headers(o: ResolvedHubOptions, url: string, extra: Record<string, string> = {}): Record<string, string> {
  const toHub = new URL(url).host === new URL(o.endpoint).host;
  return { 'user-agent': 'adaptext', 'accept-encoding': 'identity', ...(o.token !== null && toHub ? { authorization: `Bearer ${o.token}` } : {}), ...extra };
}

function normalizeEtag(etag: string | null): string | null {
  if (etag === null) return null;
  return etag.replace(/^W\//, '').replace(/^"|"$/g, '');
}

/** What the hub answered: a HubError for answers about the model (missing, gated, no such revision);
 * a plain Error for outages (5xx, 429 rate limits), after which a cached copy may be used. */
function hubError(status: number, code: string | null, what: string, o: ResolvedHubOptions): Error {
  if (status >= 500 || status === 429) return new Error(`${what}: HTTP ${status} from ${o.endpoint} (the hub is unavailable or rate-limiting; try again later)`);
  if (code === 'RepositoryNotFound') return new HubError(`${what}: no such model on ${o.endpoint} (or it is private: set HF_TOKEN)`);
  if (code === 'GatedRepo' || status === 401 || status === 403) {
    const tokenHint = o.token === null ? 'set HF_TOKEN (or run `hf auth login`)' : 'the token in use has no access';
    return new HubError(`${what}: access denied (HTTP ${status}${code ? `, ${code}` : ''}): the model is gated or private — accept its conditions on the hub and ${tokenHint}`);
  }
  if (code === 'RevisionNotFound') return new HubError(`${what}: no such revision (branch, tag or commit)`);
  return new HubError(`${what}: HTTP ${status}${code ? ` (${code})` : ''} from ${o.endpoint}`);
}

/** HEAD of one file (see the file header, step 1). */
export async function fileMeta(o: ResolvedHubOptions, repoId: string, revision: string, file: string): Promise<FileMeta> {
  let url = fileUrl(o, repoId, revision, file);
  const what = `${repoId}@${revision}/${file}`;
  for (let hop = 0; hop < 5; hop++) {
    const res = await o.fetch(url, { method: 'HEAD', headers: headers(o, url), redirect: 'manual', signal: AbortSignal.timeout(30_000) });
    const h = res.headers;
    const location = h.get('location');
    if (res.status >= 300 && res.status < 400 && location !== null && location.startsWith('/') && !location.startsWith('//')) {
      url = new URL(location, url).toString(); // a renamed repo: same hub, follow
      continue;
    }
    const code = h.get('x-error-code');
    const commit = h.get('x-repo-commit');
    if (res.status === 404 && code === 'EntryNotFound') return { exists: false, commit };
    if (res.status >= 400) throw hubError(res.status, code, what, o);
    const etag = normalizeEtag(h.get('x-linked-etag') || h.get('etag'));
    const sizeText = h.get('x-linked-size') || h.get('content-length');
    const size = sizeText === null ? NaN : Number(sizeText);
    if (commit === null || !isCommitHash(commit)) throw new HubError(`${what}: the server sent no commit (X-Repo-Commit); is ${o.endpoint} a Hugging Face Hub or mirror?`);
    if (etag === null || etag === '') throw new HubError(`${what}: the server sent no ETag`);
    if (!Number.isSafeInteger(size) || size < 0) throw new HubError(`${what}: the server sent no file size`);
    return { exists: true, commit, etag, size, url: location !== null ? new URL(location, url).toString() : url };
  }
  throw new HubError(`${what}: too many redirects`);
}

/** The checksum an etag promises: sha256 (64 hex, LFS), git blob sha1 (40 hex), or none (unknown form). */
function etagHash(etag: string, size: number): { hash: Hash; algo: string } | null {
  if (/^[0-9a-f]{64}$/.test(etag)) return { hash: createHash('sha256'), algo: 'sha256' };
  if (/^[0-9a-f]{40}$/.test(etag)) return { hash: createHash('sha1').update(`blob ${size}\0`), algo: 'git sha1' };
  return null;
}

const ATTEMPTS = 5;
const PROGRESS_MIN_BYTES = 1 << 20;
/** A transfer with no byte for this long is cut and resumed (huggingface_hub: 10 s by default). */
const STALL_MS = 60_000;

/**
 * GET the file into `blob` via `blob.incomplete` (step 2 of the file header). `url` gives the
 * current download URL (a CDN URL is signed and expires: each retry asks the hub again).
 */
async function fetchBlob(o: ResolvedHubOptions, meta: Extract<FileMeta, { exists: true }>, url: () => Promise<string>, blob: string, label: string, shown: string): Promise<void> {
  const part = `${blob}.incomplete`;
  // a bar for the files worth waiting for (weights, large tokenizer files), not for every config file
  const progress = meta.size >= PROGRESS_MIN_BYTES ? o.progress : silentProgress;
  progress.start(`download ${shown}`, meta.size, 0, 'bytes');
  let lastError: unknown = null;
  try {
    // attempts without progress; a cut connection after some bytes starts the count again
    for (let failures = 0; failures < ATTEMPTS;) {
      let have = existsSync(part) ? statSync(part).size : 0;
      if (have > meta.size) {
        rmSync(part);
        have = 0;
      }
      if (have === meta.size) break; // complete already (a run ended while verifying): verify below
      const before = have;
      try {
        const target = failures === 0 && have === 0 ? meta.url : await url();
        const stall = new AbortController();
        let timer = setTimeout(() => stall.abort(new Error(`no data for ${STALL_MS / 1000} s`)), STALL_MS);
        try {
          const res = await o.fetch(target, { headers: headers(o, target, have > 0 ? { range: `bytes=${have}-` } : {}), redirect: 'follow', signal: stall.signal });
          if (res.status === 416) {
            rmSync(part, { force: true }); // the partial file does not fit this blob: start over
            throw new Error('HTTP 416 for the partial file');
          }
          if (res.status >= 400) throw hubError(res.status, res.headers.get('x-error-code'), label, o);
          if (res.status !== 206) have = 0; // the server ignored the range: the body is the whole file
          const fd = openSync(part, have > 0 ? 'a' : 'w');
          try {
            progress.update(have);
            const reader = res.body!.getReader();
            for (;;) {
              const { done: end, value } = await reader.read();
              if (end) break;
              writeSync(fd, value);
              have += value.byteLength;
              progress.update(have);
              clearTimeout(timer);
              timer = setTimeout(() => stall.abort(new Error(`no data for ${STALL_MS / 1000} s`)), STALL_MS);
            }
          } finally {
            closeSync(fd);
          }
        } finally {
          clearTimeout(timer);
        }
        if (have < meta.size) throw new Error(`connection closed after ${have} of ${meta.size} bytes`);
        break;
      } catch (e) {
        if (e instanceof HubError) throw e;
        lastError = e; // a network failure: resume from what arrived
        failures = have > before ? 1 : failures + 1;
        if (failures < ATTEMPTS) await new Promise((ok) => setTimeout(ok, 1000 * failures));
      }
    }
    if (!existsSync(part) || statSync(part).size !== meta.size) {
      const why = (lastError as Error | null)?.message ?? 'unknown error';
      throw new Error(`${label}: download failed after ${ATTEMPTS} attempts without progress (${why}); run the command again to resume from ${part}`, { cause: lastError });
    }
    verify(part, meta, label);
    renameSync(part, blob);
  } finally {
    progress.end();
  }
}

function verify(part: string, meta: Extract<FileMeta, { exists: true }>, label: string): void {
  const size = statSync(part).size;
  const check = etagHash(meta.etag, meta.size);
  let bad: string | null = size !== meta.size ? `${size} bytes, the hub announced ${meta.size}` : null;
  if (bad === null && check !== null) {
    const got = updateWithFile(check.hash, part).digest('hex');
    if (got !== meta.etag) bad = `${check.algo} ${got}, the hub announced ${meta.etag}`;
  }
  if (bad !== null) {
    rmSync(part, { force: true });
    throw new HubError(`${label}: corrupt download (${bad}); nothing was kept, run the command again`);
  }
}

function link(pointer: string, blob: string): void {
  mkdirSync(dirname(pointer), { recursive: true });
  rmSync(pointer, { force: true });
  try {
    symlinkSync(relative(dirname(pointer), blob), pointer);
  } catch {
    copyFileSync(blob, pointer); // file systems without symlinks (huggingface_hub does the same)
  }
}

function writeRef(o: ResolvedHubOptions, repoId: string, revision: string, commit: string): void {
  if (revision === commit) return;
  const ref = join(repoDir(o.cacheDir, repoId), 'refs', revision);
  if (existsSync(ref) && readFileSync(ref, 'utf8').trim() === commit) return;
  mkdirSync(dirname(ref), { recursive: true });
  writeFileSync(ref, commit);
}

/** The blob's lock; another process fetching the same blob is waited for (it may finish it for us). */
async function waitForLock(dir: string, command: string, name: string, progress: ProgressSink): Promise<DirLock> {
  const until = Date.now() + 60 * 60_000;
  let said = false;
  for (;;) {
    try {
      return lockDir(dir, command, name);
    } catch (e) {
      if (!(e instanceof LockBusyError) || Date.now() > until) throw e;
      if (!said) progress.note(`${(e as Error).message.split(';')[0]}: waiting for it`);
      said = true;
      await new Promise((ok) => setTimeout(ok, 500));
    }
  }
}

export type FileResult = { path: string; commit: string; fetched: boolean } | { path: null; commit: string | null; fetched: false };

/**
 * One file of a hub model in the cache, fetched when needed: its snapshot path, or path null
 * when the hub says the file does not exist. Offline (or cache-only), a file not cached throws.
 */
export async function hubFile(o: ResolvedHubOptions, repoId: string, revision: string, file: string, opts: { optional?: boolean } = {}): Promise<FileResult> {
  const label = `${repoId}@${revision}/${file}`;
  const known = cachedCommit(o.cacheDir, repoId, revision);
  if (known !== null) {
    const c = cachedFile(o.cacheDir, repoId, known, file);
    // a commit never changes: its cached files are final; a branch is re-checked online
    if (c !== null && (o.offline || isCommitHash(revision))) return c === 'missing' ? { path: null, commit: known, fetched: false } : { path: c, commit: known, fetched: false };
    // offline, an optional file nobody fetched (Python's transformers never asks for some of ours) is absent
    if (o.offline && opts.optional === true) return { path: null, commit: known, fetched: false };
  }
  if (o.offline) {
    throw new Error(`${label}: not in the cache ${o.cacheDir} and HF_HUB_OFFLINE is set; fetch it once with network (adaptext download ${repoId}${revision === 'main' ? '' : `@${revision}`})`);
  }
  const meta = await fileMeta(o, repoId, revision, file);
  const root = repoDir(o.cacheDir, repoId);
  if (!meta.exists) {
    if (meta.commit !== null && isCommitHash(meta.commit)) {
      writeRef(o, repoId, revision, meta.commit);
      const marker = join(root, '.no_exist', meta.commit, file);
      mkdirSync(dirname(marker), { recursive: true });
      writeFileSync(marker, '');
    }
    return { path: null, commit: meta.commit, fetched: false };
  }
  writeRef(o, repoId, revision, meta.commit);
  const pointer = join(snapshotDir(o.cacheDir, repoId, meta.commit), file);
  const blob = join(root, 'blobs', meta.etag);
  let fetched = false;
  if (!existsSync(blob)) {
    mkdirSync(dirname(blob), { recursive: true });
    const lock = await waitForLock(dirname(blob), `adaptext download ${label}`, `${meta.etag}.adaptext-lock`, o.progress);
    try {
      if (!existsSync(blob)) {
        const fresh = async () => {
          const m = await fileMeta(o, repoId, meta.commit, file);
          if (!m.exists || m.etag !== meta.etag) throw new HubError(`${label}: the file changed on the hub during the download`);
          return m.url;
        };
        await fetchBlob(o, meta, fresh, blob, label, `${repoId}/${file}`);
        fetched = true;
      }
    } finally {
      lock.release();
    }
  }
  if (!existsSync(pointer)) link(pointer, blob);
  return { path: pointer, commit: meta.commit, fetched };
}
