// Headless Chromium for the browser tests (and tools/export-web-screenshot.ts): the system's
// Chromium driven by playwright-core (which downloads no browser), a static file server on
// 127.0.0.1 that logs every request, and a page wrapper that records every request the page makes
// and every one that failed, so a test can assert that nothing left the machine.
//
// A missing Chromium is a visible skip locally; in CI (CI=true, or ADAPTEXT_REQUIRE_BROWSER=1 as
// .ci/run sets) the test is registered anyway and fails, so a missing browser cannot pass silently.
import { accessSync, constants, createReadStream, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { delimiter, extname, join, resolve, sep } from 'node:path';
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { chromium, type Browser, type Page } from 'playwright-core';

const ci = process.env['CI'];
/** CI, or ADAPTEXT_REQUIRE_BROWSER=1: a missing Chromium fails the browser tests instead of skipping them. */
export const REQUIRE_BROWSER = process.env['ADAPTEXT_REQUIRE_BROWSER'] === '1' || (ci !== undefined && ci !== '' && ci !== '0' && ci !== 'false');

function executable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** $CHROMIUM, else chromium / chromium-browser / google-chrome(-stable) on the PATH; null when none. */
export function findChromium(): string | null {
  const env = process.env['CHROMIUM'];
  if (env !== undefined && env !== '') return executable(env) ? env : null;
  const dirs = (process.env['PATH'] ?? '').split(delimiter).filter(Boolean);
  for (const name of ['chromium', 'chromium-browser', 'google-chrome-stable', 'google-chrome']) for (const d of dirs) if (executable(join(d, name))) return join(d, name);
  return null;
}

/** Why the browser tests cannot run here, or null when they can. */
export function browserUnavailable(): string | null {
  const env = process.env['CHROMIUM'];
  if (findChromium() !== null) return null;
  return env !== undefined && env !== ''
    ? `CHROMIUM=${env} is not an executable`
    : 'Chromium not found ($CHROMIUM, or chromium / chromium-browser / google-chrome on the PATH); install it with apt-get install -y chromium';
}

/** Registers a test that needs Chromium: runs it, or a visible skip, or (CI) a failure naming why. */
export function browserTest(title: string, body: (t: TestContext) => Promise<void>): void {
  const why = browserUnavailable();
  if (why === null) test(title, body);
  else if (REQUIRE_BROWSER) test(title, () => assert.fail(`${process.env['ADAPTEXT_REQUIRE_BROWSER'] === '1' ? 'ADAPTEXT_REQUIRE_BROWSER=1' : `CI=${ci}`} but ${why}`));
  else test(title, { skip: why }, () => {});
}

/** Headless Chromium with no first-run, background or GPU work (playwright-core adds --headless, and --no-sandbox: CI runs as root). */
export async function launchChromium(): Promise<Browser> {
  const executablePath = findChromium();
  if (executablePath === null) throw new Error(browserUnavailable() ?? 'Chromium not found');
  return chromium.launch({
    executablePath,
    headless: true,
    chromiumSandbox: false,
    args: ['--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-dev-shm-usage'],
  });
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.png': 'image/png',
  '.onnx': 'application/octet-stream',
};

export interface StaticServer {
  /** http://127.0.0.1:PORT/ */
  url: string;
  /** Every request served: `STATUS /path`. */
  log: string[];
  close(): Promise<void>;
}

/** Serves the files under `root` (GET/HEAD; a folder serves its index.html) on 127.0.0.1 at a free port. */
export async function serveStatic(root: string): Promise<StaticServer> {
  const base = resolve(root);
  const log: string[] = [];
  const server: Server = createServer((req, res) => {
    const reply = (status: number, path: string): void => {
      log.push(`${status} ${path}`);
      res.writeHead(status, { 'content-type': 'text/plain' }).end(`${status}\n`);
    };
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
    } catch {
      return reply(400, req.url ?? '');
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply(405, path);
    let file = resolve(base, '.' + path);
    if (file !== base && !file.startsWith(base + sep)) return reply(403, path);
    try {
      if (statSync(file).isDirectory()) file = join(file, 'index.html');
      const st = statSync(file);
      if (!st.isFile()) return reply(404, path);
      log.push(`200 ${path}`);
      res.writeHead(200, { 'content-type': MIME[extname(file)] ?? 'application/octet-stream', 'content-length': st.size, 'cache-control': 'no-store' });
      if (req.method === 'HEAD') res.end();
      else createReadStream(file).pipe(res);
    } catch {
      reply(404, path);
    }
  });
  await new Promise<void>((ok, fail) => server.once('error', fail).listen(0, '127.0.0.1', ok));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/`,
    log,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

export interface WatchedPage {
  page: Page;
  /** Every URL the page requested (blob: URLs included). */
  requests: string[];
  /** Requests to anywhere but `origin` (blob: URLs of `origin` count as `origin`); aborted, never sent. */
  offsite: string[];
  /** `url: error` of every request that failed, and every response with status >= 400. */
  failed: string[];
  /** Uncaught page errors and console errors. */
  errors: string[];
}

/** A new page in its own context that may only talk to `origin` (e.g. http://127.0.0.1:PORT). */
export async function watchedPage(browser: Browser, origin: string, viewport = { width: 900, height: 640 }): Promise<WatchedPage> {
  const context = await browser.newContext({ viewport, serviceWorkers: 'block' });
  const page = await context.newPage();
  const w: WatchedPage = { page, requests: [], offsite: [], failed: [], errors: [] };
  const local = (url: string): boolean => {
    try {
      return new URL(url).origin === origin; // a blob: URL's origin is the page's
    } catch {
      return false;
    }
  };
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (local(url)) return route.continue();
    w.offsite.push(url);
    return route.abort('blockedbyclient');
  });
  page.on('request', (r) => w.requests.push(r.url()));
  page.on('requestfailed', (r) => {
    if (!w.offsite.includes(r.url())) w.failed.push(`${r.url()}: ${r.failure()?.errorText ?? 'failed'}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400) w.failed.push(`${r.url()}: HTTP ${r.status()}`);
  });
  page.on('pageerror', (e) => w.errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') w.errors.push(m.text());
  });
  return w;
}
