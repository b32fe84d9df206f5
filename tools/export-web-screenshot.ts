// Screenshot of the page `adaptext export --web` writes, after it classified a review (docs/export-web.png):
//   node --import tsx tools/export-web-screenshot.ts --model RUN_OR_MODEL --domain D [--text REVIEW] [--quantize] [--output docs/export-web.png]
// Exports the model with the page into a temp folder, serves it on 127.0.0.1, types the review
// into the page in headless Chromium (the system's, as in test/support/browser.ts), clicks
// Classify and saves a PNG of the page. Prints the page's label and scores.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { exportModel } from '../src/deploy/export.js';
import { launchChromium, serveStatic, watchedPage } from '../test/support/browser.js';

function usage(msg?: string): never {
  if (msg) console.error(`export-web-screenshot: ${msg}`);
  console.error('usage: node --import tsx tools/export-web-screenshot.ts --model RUN_OR_MODEL --domain D [--text REVIEW] [--quantize] [--output docs/export-web.png]');
  process.exit(2);
}

const args = process.argv.slice(2);
const opt: Record<string, string> = {};
let quantize = false;
for (let i = 0; i < args.length; i++) {
  const a = args[i]!;
  if (a === '--quantize') quantize = true;
  else if (a === '-h' || a === '--help') usage();
  else if (['--model', '--domain', '--text', '--output'].includes(a) && i + 1 < args.length) opt[a.slice(2)] = args[++i]!;
  else usage(`unexpected argument ${a}`);
}
if (opt['model'] === undefined) usage('--model is required');
const text = opt['text'] ?? 'I love this blender. It crushes ice in seconds, it is easy to clean, and it looks great on the counter.';
const output = resolve(opt['output'] ?? 'docs/export-web.png');

const work = mkdtempSync(join(tmpdir(), 'adaptext-web-shot-'));
try {
  const name = `${opt['domain'] ?? 'model'}-web`; // the page's title starts with the folder name
  const folder = join(work, name);
  const r = exportModel({ model: opt['model'], domain: opt['domain'], output: folder, web: true, quantize });
  console.log(`exported adapter ${r.adapter ?? '(none)'}, head ${r.head} in ${r.seconds.toFixed(1)} s`);
  const server = await serveStatic(work);
  const browser = await launchChromium();
  try {
    const w = await watchedPage(browser, new URL(server.url).origin, { width: 820, height: 560 });
    const { page } = w;
    await page.goto(new URL(`${name}/`, server.url).href);
    await page.waitForSelector('body[data-ready], body[data-error]', { timeout: 120_000 });
    const error = await page.getAttribute('body', 'data-error');
    if (error !== null) throw new Error(`the page could not load its model: ${error}`);
    await page.fill('#text', text);
    await page.click('#go');
    await page.waitForSelector('#label[data-label]', { timeout: 60_000 });
    console.log(`page: ${await page.getAttribute('#label', 'data-label')} ${await page.getAttribute('#scores tbody', 'data-scores')}`);
    if (w.offsite.length > 0 || w.failed.length > 0) throw new Error(`requests off the local server or failed: ${[...w.offsite, ...w.failed].join(', ')}`);
    await page.locator('#text').blur();
    mkdirSync(dirname(output), { recursive: true });
    await page.screenshot({ path: output, fullPage: true });
    console.log(`wrote ${output}`);
  } finally {
    await browser.close();
    await server.close();
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
