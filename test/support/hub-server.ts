// A local stand-in for the Hugging Face Hub on 127.0.0.1, serving what `hf_hub_download` and
// adaptext's src/hub read: `/{repo}/resolve/{revision}/{file}` with the hub's headers
// (X-Repo-Commit; ETag = git blob sha1 for small files; LFS files answer 302 to a CDN URL with
// X-Linked-Etag = sha256 and X-Linked-Size), `X-Error-Code` 404s (RepositoryNotFound,
// RevisionNotFound, EntryNotFound), 401 GatedRepo without the right token, relative 307s for a
// renamed repo, and range requests on the CDN — which is another host (127.0.0.2), as the real
// hub's CDN and storage are, so a test can see what is sent there. Faults on demand: cut a transfer half-way once,
// corrupt a file's bytes. Every request is logged for assertions.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HubRepo {
  /** Commit of `main` (40 hex). */
  commit: string;
  /** Other branches or tags → commit (only `commit`'s files exist; tests need one snapshot). */
  refs?: Record<string, string>;
  /** file → bytes; files of at least `lfsFrom` bytes (default 1 KiB) are served as LFS. */
  files: Record<string, Buffer>;
  /** Requires `authorization: Bearer <token>`. */
  token?: string;
}

export interface HubLogEntry {
  method: string;
  path: string;
  range: string | null;
  status: number;
  /** The Authorization header the request carried. */
  auth: string | null;
}

export interface FakeHub {
  url: string;
  log: HubLogEntry[];
  /** Cut the next transfer of this file after half its bytes. */
  cutOnce: Set<string>;
  /** Serve this file with one byte changed (its announced checksum stays the true one). */
  corrupt: Set<string>;
  /** Answer every /resolve/ request with this status (an outage: 503, a rate limit: 429); null = normal. */
  failWith: number | null;
  close(): Promise<void>;
}

export const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
export const gitSha1 = (b: Buffer): string => createHash('sha1').update(`blob ${b.length}\0`).update(b).digest('hex');

export async function startFakeHub(repos: Record<string, HubRepo>, opts: { renamed?: Record<string, string>; lfsFrom?: number } = {}): Promise<FakeHub> {
  const lfsFrom = opts.lfsFrom ?? 1024;
  const log: HubLogEntry[] = [];
  const cutOnce = new Set<string>();
  const corrupt = new Set<string>();
  const byHash = new Map<string, { file: string; data: Buffer }>();
  for (const r of Object.values(repos)) for (const [file, data] of Object.entries(r.files)) byHash.set(sha256(data), { file, data });
  let base = '';
  const state: { failWith: number | null } = { failWith: null };

  const send = (req: IncomingMessage, res: ServerResponse, status: number, headers: Record<string, string>, body?: Buffer) => {
    log.push({ method: req.method ?? '', path: req.url ?? '', range: req.headers.range ?? null, status, auth: req.headers.authorization ?? null });
    res.writeHead(status, headers);
    res.end(req.method === 'HEAD' ? undefined : body);
  };

  const cdn = (req: IncomingMessage, res: ServerResponse, hash: string) => {
    const hit = byHash.get(hash);
    if (hit === undefined) return send(req, res, 404, {});
    let data = hit.data;
    if (corrupt.has(hit.file)) {
      data = Buffer.from(data);
      data[data.length >> 1] ^= 0xff;
    }
    let start = 0;
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (m !== null) {
      start = Number(m[1]);
      if (start >= data.length) return send(req, res, 416, { 'content-range': `bytes */${data.length}` });
    }
    const body = data.subarray(start);
    const headers: Record<string, string> = { 'content-length': String(body.length), 'content-type': 'application/octet-stream' };
    if (m !== null) headers['content-range'] = `bytes ${start}-${data.length - 1}/${data.length}`;
    const status = m !== null ? 206 : 200;
    if (req.method === 'GET' && cutOnce.has(hit.file)) {
      cutOnce.delete(hit.file);
      log.push({ method: 'GET', path: req.url ?? '', range: req.headers.range ?? null, status: -1, auth: req.headers.authorization ?? null });
      res.writeHead(status, headers);
      res.write(body.subarray(0, body.length >> 1), () => res.destroy());
      return;
    }
    send(req, res, status, headers, body);
  };

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://x');
    const parts = url.pathname.split('/').slice(1).map(decodeURIComponent);
    if (parts[0] === 'cdn') return cdn(req, res, parts[1] ?? '');
    const ri = parts.indexOf('resolve');
    if (ri < 1) return send(req, res, 404, {});
    if (state.failWith !== null) return send(req, res, state.failWith, {});
    const repoId = parts.slice(0, ri).join('/');
    const revision = parts[ri + 1] ?? '';
    const file = parts.slice(ri + 2).join('/');
    const newName = opts.renamed?.[repoId];
    if (newName !== undefined) return send(req, res, 307, { location: `/${newName}/resolve/${encodeURIComponent(revision)}/${file}` });
    const repo = repos[repoId];
    if (repo === undefined) return send(req, res, 401, { 'x-error-code': 'RepositoryNotFound' });
    if (repo.token !== undefined && req.headers.authorization !== `Bearer ${repo.token}`) return send(req, res, 401, { 'x-error-code': 'GatedRepo' });
    const commit = revision === 'main' || revision === repo.commit ? repo.commit : repo.refs?.[revision];
    if (commit === undefined) return send(req, res, 404, { 'x-error-code': 'RevisionNotFound' });
    const data = repo.files[file];
    if (data === undefined) return send(req, res, 404, { 'x-error-code': 'EntryNotFound', 'x-repo-commit': commit });
    if (data.length >= lfsFrom) {
      const h = sha256(data);
      return send(req, res, 302, {
        location: `${base}/cdn/${h}`,
        'x-repo-commit': commit,
        'x-linked-etag': `"${h}"`,
        'x-linked-size': String(data.length),
        etag: `"${gitSha1(Buffer.from(`version https://git-lfs.github.com/spec/v1\noid sha256:${h}\nsize ${data.length}\n`))}"`,
      });
    }
    send(req, res, 200, { 'x-repo-commit': commit, etag: `"${gitSha1(data)}"`, 'content-length': String(data.length) }, data);
  };
  const server: Server = createServer(handler);
  const cdnServer: Server = createServer(handler);
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  await new Promise<void>((ok) => cdnServer.listen(0, '127.0.0.2', ok));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  base = `http://127.0.0.2:${(cdnServer.address() as AddressInfo).port}`;
  return Object.assign(state, {
    url,
    log,
    cutOnce,
    corrupt,
    close: () =>
      Promise.all(
        [server, cdnServer].map(
          (s) =>
            new Promise<void>((ok) => {
              s.closeAllConnections();
              s.close(() => ok());
            }),
        ),
      ).then(() => undefined),
  });
}
