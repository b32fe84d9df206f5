// The browser page of an exported folder (`adaptext export --web`): index.html + app.js, which
// load the folder's own ONNX model and tokenizer with transformers.js and label the text typed
// into the page. Everything is local: transformers.js and the onnxruntime-web wasm files are
// copied from the npm packages into vendor/ (no CDN), so the page works offline from any static
// file server (browsers do not run wasm modules from file:// URLs).
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export interface WebPageOptions {
  /** Use onnx/model_quantized.onnx (else onnx/model.onnx). */
  quantized: boolean;
  labels: readonly string[];
  title: string;
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
  const ortDir = dirname(createRequire(join(tjsDir, 'package.json')).resolve('onnxruntime-web'));
  const files = [
    { from: join(tjsDir, 'dist', 'transformers.min.js'), to: 'vendor/transformers.min.js' },
    { from: join(tjsDir, 'dist', 'ort-wasm-simd-threaded.jsep.mjs'), to: 'vendor/ort-wasm-simd-threaded.jsep.mjs' },
    { from: join(ortDir, 'ort-wasm-simd-threaded.jsep.wasm'), to: 'vendor/ort-wasm-simd-threaded.jsep.wasm' },
  ];
  for (const f of files) if (!existsSync(f.from)) throw new Error(`export --web: ${f.from} is missing from the installed packages`);
  return files;
}

const html = (title: string): string => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title.replace(/[<&>]/g, (c) => `&#${c.charCodeAt(0)};`)}</title>
<style>
body { font: 16px/1.5 system-ui, sans-serif; max-width: 44rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
textarea { width: 100%; min-height: 8rem; font: inherit; padding: .5rem; box-sizing: border-box; }
button { font: inherit; padding: .4rem 1.2rem; margin-top: .5rem; }
#status { color: #666; }
#label { font-size: 1.6rem; font-weight: 600; }
table { border-collapse: collapse; margin-top: .5rem; }
td { padding: .15rem .8rem .15rem 0; }
.bar { display: inline-block; height: .8rem; background: #4a7; vertical-align: middle; }
</style>
</head>
<body>
<h1>${title.replace(/[<&>]/g, (c) => `&#${c.charCodeAt(0)};`)}</h1>
<p id="status">loading the model…</p>
<textarea id="text" placeholder="Type a review and press Classify"></textarea>
<br><button id="go" disabled>Classify</button>
<p id="label"></p>
<table id="scores"></table>
<script type="module" src="app.js"></script>
</body>
</html>
`;

const app = (o: WebPageOptions): string => `// Runs this folder's model in the browser with transformers.js (vendor/), no network.
import { env, pipeline } from './vendor/transformers.min.js';

const here = new URL('./', location.href);
env.allowRemoteModels = false;
env.allowLocalModels = true;
env.useBrowserCache = false;
// The model is this folder: transformers.js reads <localModelPath><id>/config.json, onnx/..., tokenizer.json.
const parts = here.pathname.split('/').filter(Boolean);
const modelId = parts.pop() ?? '';
env.localModelPath = new URL('/' + parts.map((p) => p + '/').join(''), here).href;
env.backends.onnx.wasm.wasmPaths = new URL('vendor/', here).href;
env.backends.onnx.wasm.numThreads = 1; // threads need cross-origin isolation headers a plain static server does not send

const status = document.getElementById('status');
const button = document.getElementById('go');
const text = document.getElementById('text');
const label = document.getElementById('label');
const scores = document.getElementById('scores');

let classify;
try {
  classify = await pipeline('text-classification', modelId, { dtype: ${JSON.stringify(o.quantized ? 'q8' : 'fp32')}, device: 'wasm' });
  status.textContent = 'model loaded';
  button.disabled = false;
  document.body.dataset.ready = '1';
} catch (e) {
  status.textContent = 'could not load the model: ' + e.message;
  document.body.dataset.error = e.message;
}

async function run() {
  const input = text.value.trim();
  if (input === '' || classify === undefined) return;
  button.disabled = true;
  const all = await classify(input, { top_k: null });
  label.textContent = all[0].label + ' (' + all[0].score.toFixed(4) + ')';
  label.dataset.label = all[0].label;
  label.dataset.score = String(all[0].score);
  scores.replaceChildren(...all.map((s) => {
    const tr = document.createElement('tr');
    tr.innerHTML = '<td></td><td></td><td><span class="bar"></span></td>';
    tr.children[0].textContent = s.label;
    tr.children[1].textContent = s.score.toFixed(4);
    tr.querySelector('.bar').style.width = (s.score * 12).toFixed(2) + 'rem';
    return tr;
  }));
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
  writeFileSync(join(dir, 'index.html'), html(o.title));
  writeFileSync(join(dir, 'app.js'), app(o));
  return ['index.html', 'app.js', ...vendor.map((f) => f.to)];
}
