// The browser page of an exported folder (`adaptext export --web`): index.html + app.js, which
// load the folder's own ONNX model and tokenizer with transformers.js and label the text typed
// into the page, with every label's score. Everything is local: transformers.js and the
// onnxruntime-web wasm runtime are copied from the npm packages into vendor/ (no CDN), so the page
// works offline from any static file server (browsers do not run wasm modules from file:// URLs).
//
// How the page finds its files (transformers.js 4.x, checked in node_modules/@huggingface/transformers):
// - The model: a model id that cannot be a hub id (`name`, `org/name`; here it starts with `/`) is
//   used as a path: `<id>/config.json` etc. are fetched as they are, relative to the page's server. app.js passes its own folder's URL path (`/`, `/kitchen-onnx/`), so the
//   page loads the folder it is served from, at any depth, under any folder name.
// - The runtime: transformers.min.js bundles onnxruntime-web's JavaScript; with no `wasmPaths` set
//   it fetches the `ort-wasm-simd-threaded.asyncify` .mjs/.wasm (27 MB, CPU + WebGPU) from
//   cdn.jsdelivr.net. app.js sets `wasmPaths` to copies in vendor/ of the plain CPU build
//   `ort-wasm-simd-threaded` (14 MB; the one transformers.js itself picks on Safari < 26 without
//   WebGPU), from the onnxruntime-web package transformers.js depends on, so the .mjs glue and the
//   .wasm match the bundled JavaScript's version. The page runs on device 'wasm' only.
// - One wasm thread: more need cross-origin isolation (COOP/COEP headers) a plain server does not send.
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export interface WebPageOptions {
  /** Use onnx/model_quantized.onnx (else onnx/model.onnx). */
  quantized: boolean;
  labels: readonly string[];
  title: string;
}

/** The onnxruntime-web build the page loads (its .mjs glue and .wasm), copied into vendor/: CPU only. */
const ORT_WASM = 'ort-wasm-simd-threaded';

/** The package.json of package `name` that `file` belongs to (its exports do not list package.json). */
function packageJsonOf(file: string, name: string): string {
  for (let d = dirname(file); d !== dirname(d); d = dirname(d)) {
    const p = join(d, 'package.json');
    if (existsSync(p) && (JSON.parse(readFileSync(p, 'utf8')) as { name?: string }).name === name) return p;
  }
  throw new Error(`export --web: no package.json of ${name} above ${file}`);
}

/** Files of transformers.js and onnxruntime-web the page loads, from the installed npm packages. */
function vendorFiles(): { from: string; to: string }[] {
  const require = createRequire(import.meta.url);
  let tjsDir: string;
  try {
    tjsDir = dirname(dirname(require.resolve('@huggingface/transformers')));
  } catch {
    throw new Error('export --web needs the @huggingface/transformers package (npm install @huggingface/transformers): the page runs the model with it');
  }
  // onnxruntime-web as transformers.js resolves it (its own nested copy, if npm installed one)
  const ortPkg = packageJsonOf(createRequire(join(tjsDir, 'package.json')).resolve('onnxruntime-web'), 'onnxruntime-web');
  const ortDir = join(dirname(ortPkg), 'dist');
  const tjsWants = (JSON.parse(readFileSync(join(tjsDir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> }).dependencies?.['onnxruntime-web'];
  const ortHas = (JSON.parse(readFileSync(ortPkg, 'utf8')) as { version: string }).version;
  if (tjsWants !== undefined && /^\d/.test(tjsWants) && tjsWants !== ortHas) {
    // an exact pin: the wasm must be the build transformers.min.js bundles the JavaScript of
    throw new Error(`export --web: @huggingface/transformers wants onnxruntime-web ${tjsWants} but ${ortHas} is installed (${ortPkg}); reinstall the packages`);
  }
  const files = [
    { from: join(tjsDir, 'dist', 'transformers.min.js'), to: 'vendor/transformers.min.js' },
    { from: join(ortDir, `${ORT_WASM}.mjs`), to: `vendor/${ORT_WASM}.mjs` },
    { from: join(ortDir, `${ORT_WASM}.wasm`), to: `vendor/${ORT_WASM}.wasm` },
  ];
  for (const f of files) if (!existsSync(f.from)) throw new Error(`export --web: ${f.from} is missing from the installed packages`);
  return files;
}

const escapeHtml = (s: string): string => s.replace(/[<&>"]/g, (c) => `&#${c.charCodeAt(0)};`);

const html = (o: WebPageOptions): string => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(o.title)}</title>
<link rel="icon" href="data:,">
<style>
:root { color-scheme: light; --accent: #2f6fb3; --muted: #5f6670; }
body { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 42rem; margin: 2.5rem auto; padding: 0 1.25rem; color: #1d2127; background: #fafbfc; }
h1 { font-size: 1.45rem; margin: 0 0 .25rem; }
.sub { color: var(--muted); margin: 0 0 1.5rem; font-size: .95rem; }
label { display: block; font-weight: 600; margin-bottom: .35rem; }
textarea { width: 100%; min-height: 7.5rem; font: inherit; padding: .6rem .7rem; box-sizing: border-box; border: 1px solid #c4c9d0; border-radius: 6px; background: #fff; resize: vertical; }
textarea:focus { outline: 2px solid var(--accent); outline-offset: 1px; }
.row { display: flex; align-items: center; gap: 1rem; margin-top: .6rem; }
button { font: inherit; font-weight: 600; padding: .45rem 1.4rem; border: 0; border-radius: 6px; background: var(--accent); color: #fff; cursor: pointer; }
button:disabled { background: #9aa7b5; cursor: default; }
#status { color: var(--muted); font-size: .9rem; }
#status.error { color: #b3261e; }
#result { margin-top: 1.5rem; padding: 1rem 1.2rem; border: 1px solid #dde1e6; border-radius: 8px; background: #fff; }
#result[hidden] { display: none; }
#label { font-size: 1.5rem; font-weight: 700; margin: 0 0 .6rem; }
#label small { font-size: 1rem; font-weight: 400; color: var(--muted); }
table { border-collapse: collapse; width: 100%; }
th, td { padding: .25rem 0; text-align: left; font-weight: 400; }
th { width: 9rem; padding-right: .8rem; }
td.score { width: 4.5rem; text-align: right; font-variant-numeric: tabular-nums; }
.track { height: .7rem; border-radius: 4px; background: #e8ebef; overflow: hidden; }
.bar { height: 100%; background: #9aa7b5; }
tr.top th { font-weight: 700; }
tr.top .bar { background: var(--accent); }
</style>
</head>
<body>
<h1>${escapeHtml(o.title)}</h1>
<p class="sub">Runs in this browser with transformers.js (${o.quantized ? 'int8' : 'fp32'} ONNX model); nothing is sent anywhere. Labels: ${escapeHtml(o.labels.join(', '))}.</p>
<label for="text">Text to classify</label>
<textarea id="text" placeholder="Type a review…"></textarea>
<div class="row"><button id="go" type="button" disabled>Classify</button><span id="status" role="status">Loading the model…</span></div>
<section id="result" aria-live="polite" hidden>
<p id="label"></p>
<table id="scores"><caption hidden>Score of every label</caption><tbody></tbody></table>
</section>
<script type="module" src="app.js"></script>
</body>
</html>
`;

const app = (o: WebPageOptions): string => `// Runs this folder's model in the browser with transformers.js (vendor/), no network beyond this server.
import { env, pipeline } from './vendor/transformers.min.js';

const LABELS = ${JSON.stringify(o.labels)};
const here = new URL('./', import.meta.url); // this folder: the model's config.json, tokenizer and onnx/ are here
env.allowRemoteModels = false;
env.allowLocalModels = true;
env.useBrowserCache = false;
// A path, not a hub id: transformers.js fetches <path>config.json, <path>onnx/model.onnx, ... from this server.
const modelPath = here.pathname;
// The onnxruntime-web build transformers.js would fetch from a CDN, from vendor/ instead.
env.backends.onnx.wasm.wasmPaths = {
  mjs: new URL('vendor/${ORT_WASM}.mjs', here).href,
  wasm: new URL('vendor/${ORT_WASM}.wasm', here).href,
};
env.backends.onnx.wasm.numThreads = 1; // threads need cross-origin isolation headers a plain static server does not send

const status = document.getElementById('status');
const button = document.getElementById('go');
const text = document.getElementById('text');
const result = document.getElementById('result');
const label = document.getElementById('label');
const rows = document.querySelector('#scores tbody');

let classify;
try {
  const t0 = performance.now();
  classify = await pipeline('text-classification', modelPath, { dtype: ${JSON.stringify(o.quantized ? 'q8' : 'fp32')}, device: 'wasm' });
  status.textContent = 'Model loaded in ' + ((performance.now() - t0) / 1000).toFixed(1) + ' s.';
  button.disabled = false;
  document.body.dataset.ready = '1';
} catch (e) {
  status.textContent = 'Could not load the model: ' + e.message;
  status.classList.add('error');
  document.body.dataset.error = e.message;
}

async function run() {
  const input = text.value;
  if (input.trim() === '' || classify === undefined || button.disabled) return;
  button.disabled = true;
  status.textContent = 'Classifying…';
  try {
    const all = await classify(input, { top_k: null }); // every label, best first
    const top = all[0];
    label.replaceChildren(top.label + ' ', Object.assign(document.createElement('small'), { textContent: top.score.toFixed(4) }));
    label.dataset.label = top.label;
    label.dataset.score = String(top.score);
    const byLabel = new Map(all.map((s) => [s.label, s.score]));
    rows.dataset.scores = JSON.stringify(Object.fromEntries(byLabel));
    rows.replaceChildren(...LABELS.filter((l) => byLabel.has(l)).map((l) => {
      const score = byLabel.get(l);
      const tr = document.createElement('tr');
      if (l === top.label) tr.className = 'top';
      tr.innerHTML = '<th scope="row"></th><td><div class="track" aria-hidden="true"><div class="bar"></div></div></td><td class="score"></td>';
      tr.querySelector('th').textContent = l;
      tr.querySelector('.bar').style.width = (score * 100).toFixed(1) + '%';
      tr.querySelector('.score').textContent = score.toFixed(4);
      return tr;
    }));
    result.hidden = false;
    status.textContent = '';
    status.classList.remove('error');
  } catch (e) {
    status.textContent = 'Could not classify: ' + e.message;
    status.classList.add('error');
  }
  button.disabled = false;
}
button.addEventListener('click', run);
text.addEventListener('keydown', (e) => { if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) run(); });
`;

/** Write the page into `dir` (an export folder); returns the files written, relative to `dir`. */
export function writeWebPage(dir: string, o: WebPageOptions): string[] {
  const vendor = vendorFiles();
  mkdirSync(join(dir, 'vendor'), { recursive: true });
  for (const f of vendor) copyFileSync(f.from, join(dir, f.to));
  writeFileSync(join(dir, 'index.html'), html(o));
  writeFileSync(join(dir, 'app.js'), app(o));
  return ['index.html', 'app.js', ...vendor.map((f) => f.to)];
}
