// Word embeddings from co-occurrence counts, written into a copy of a model folder: a cheap
// starting point for pretraining on a tiny budget (issue 11, item 3). Counts of token pairs within
// a window (weighted 1/distance, as GloVe), positive PMI with context-distribution smoothing
// (α = 0.75, Levy, Goldberg & Dagan 2015), a randomized truncated SVD (Halko, Martinsson & Tropp
// 2011) to the model's hidden size, U·√S as the vectors (their eigenvalue weighting p = 0.5),
// rescaled to the standard deviation of the embeddings they replace. Special tokens and tokens
// never seen keep their initial vectors. The MLM decoder is tied to these embeddings in BERT, so it
// starts from them too.
//
//   node --import tsx tools/cooc-embeddings.ts --model INIT_DIR --out OUT_DIR [--window 5] [--cache DIR] CORPUS...
//
// --cache: a folder holding `train.tokens`/`train.json` of an `adaptext pretrain` run with the same
// vocabulary (the token cache); otherwise the corpus is tokenised here.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadModel, saveModel } from '../src/models/index.js';
import { expandInputs, loadStream } from '../src/pretrain/index.js';
import { matmul, noGrad, Rng, Tensor } from '../src/tensor/index.js';
import { loadTokenizer } from '../src/text/index.js';

const { values, positionals } = parseArgs({
  options: { model: { type: 'string' }, out: { type: 'string' }, window: { type: 'string' }, cache: { type: 'string' }, seed: { type: 'string' } },
  allowPositionals: true,
});
if (values.model === undefined || values.out === undefined || positionals.length === 0) {
  process.stderr.write('usage: node --import tsx tools/cooc-embeddings.ts --model INIT_DIR --out OUT_DIR [--window 5] [--cache DIR] CORPUS...\n');
  process.exit(2);
}
if (existsSync(values.out)) throw new Error(`--out ${values.out}: exists; choose a new folder`);
const window = Number(values.window ?? '5');
const t0 = Date.now();
const log = (s: string) => process.stderr.write(`[${((Date.now() - t0) / 1000).toFixed(1)} s] ${s}\n`);

const tok = loadTokenizer(values.model);
const { model } = loadModel(values.model, { seed: 1 });
const V = tok.vocabSize;
const emb = model.base.embeddings.word_embeddings.weight;
const H = emb.shape[1]!;
const files = expandInputs(positionals);
const { stream } = loadStream(files, tok, { textField: 'text', name: 'train', ...(values.cache !== undefined ? { cacheDir: resolve(values.cache) } : {}) });
log(`${stream.length} tokens, vocabulary ${V}, hidden ${H}`);

// Symmetric counts within the window, 1/d weights; a [SEP] (record boundary) stops the window.
const special = new Set(Object.values(tok.specialIds).filter((x): x is number => typeof x === 'number'));
const C = new Float32Array(V * V);
for (let i = 0; i < stream.length; i++) {
  const a = stream[i]!;
  if (special.has(a)) continue;
  for (let d = 1; d <= window && i + d < stream.length; d++) {
    const b = stream[i + d]!;
    if (special.has(b)) break;
    const w = 1 / d;
    C[a * V + b]! += w;
    C[b * V + a]! += w;
  }
}
const row = new Float64Array(V);
for (let a = 0; a < V; a++) {
  let s = 0;
  for (let b = 0; b < V; b++) s += C[a * V + b]!;
  row[a] = s;
}
let total = 0;
let totalA = 0;
const ctxA = new Float64Array(V);
for (let a = 0; a < V; a++) {
  total += row[a]!;
  ctxA[a] = Math.pow(row[a]!, 0.75);
  totalA += ctxA[a]!;
}
// PPMI(a, b) = max(0, log(C_ab · Σα / (row_a · row_b^α)))  (context distribution smoothed)
for (let a = 0; a < V; a++) {
  if (row[a] === 0) continue;
  for (let b = 0; b < V; b++) {
    const c = C[a * V + b]!;
    if (c === 0) continue;
    const pmi = Math.log((c * totalA) / (row[a]! * ctxA[b]!));
    C[a * V + b] = pmi > 0 ? pmi : 0;
  }
}
log(`PPMI built (${(total / 2).toFixed(0)} weighted pairs)`);

// Randomized SVD of the symmetric V×V matrix M: Y = M Ω, two power iterations with
// re-orthonormalisation, B = Qᵀ M (K×V), then the eigenvectors of B Bᵀ give U = Q·W, S = √λ.
const K = H + 16;
const M = new Tensor(C, [V, V]);
const rng = new Rng(Number(values.seed ?? '1'));
const omega = new Float32Array(V * K);
for (let i = 0; i < omega.length; i++) omega[i] = rng.normal();

function orthonormalise(Y: Float32Array, rows: number, cols: number): Float32Array {
  // modified Gram–Schmidt on the columns of a row-major rows×cols matrix, twice for stability
  const Q = Float64Array.from(Y);
  for (let pass = 0; pass < 2; pass++) {
    for (let j = 0; j < cols; j++) {
      for (let k = 0; k < j; k++) {
        let dot = 0;
        for (let r = 0; r < rows; r++) dot += Q[r * cols + j]! * Q[r * cols + k]!;
        for (let r = 0; r < rows; r++) Q[r * cols + j]! -= dot * Q[r * cols + k]!;
      }
      let n = 0;
      for (let r = 0; r < rows; r++) n += Q[r * cols + j]! ** 2;
      n = Math.sqrt(n) || 1;
      for (let r = 0; r < rows; r++) Q[r * cols + j]! /= n;
    }
  }
  return Float32Array.from(Q);
}

const { U, S } = noGrad(() => {
  let Q = orthonormalise(matmul(M, new Tensor(omega, [V, K])).data, V, K);
  for (let it = 0; it < 2; it++) Q = orthonormalise(matmul(M, new Tensor(Q, [V, K])).data, V, K);
  log('range found');
  const B = matmul(new Tensor(Q, [V, K]), M, { transA: true }); // [K,V]
  const G = matmul(B, B, { transB: true }).data; // [K,K] = B Bᵀ
  const { vectors, values: lambdas } = jacobiEigen(Float64Array.from(G), K);
  const order = [...lambdas.keys()].sort((x, y) => lambdas[y]! - lambdas[x]!).slice(0, H);
  const W = new Float32Array(K * H);
  order.forEach((src, j) => {
    for (let r = 0; r < K; r++) W[r * H + j] = vectors[r * K + src]!;
  });
  return { U: matmul(new Tensor(Q, [V, K]), new Tensor(W, [K, H])).data, S: order.map((i) => Math.sqrt(Math.max(lambdas[i]!, 0))) };
});
log(
  `top singular values ${S.slice(0, 5)
    .map((x) => x.toFixed(1))
    .join(' ')} … ${S[H - 1]!.toFixed(1)}`,
);

/** Eigen-decomposition of a symmetric n×n matrix by cyclic Jacobi rotations (n is a few hundred). */
function jacobiEigen(A: Float64Array, n: number): { vectors: Float64Array; values: Float64Array } {
  const Vm = new Float64Array(n * n);
  for (let i = 0; i < n; i++) Vm[i * n + i] = 1;
  for (let sweep = 0; sweep < 50; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += A[p * n + q]! ** 2;
    if (off < 1e-18) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = A[p * n + q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (A[q * n + q]! - A[p * n + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = A[k * n + p]!;
          const akq = A[k * n + q]!;
          A[k * n + p] = c * akp - s * akq;
          A[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = A[p * n + k]!;
          const aqk = A[q * n + k]!;
          A[p * n + k] = c * apk - s * aqk;
          A[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = Vm[k * n + p]!;
          const vkq = Vm[k * n + q]!;
          Vm[k * n + p] = c * vkp - s * vkq;
          Vm[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = A[i * n + i]!;
  return { vectors: Vm, values };
}

// U·√S for every seen, non-special token; rescaled to the replaced embeddings' standard deviation.
const E = emb.data;
let sq = 0;
for (let i = 0; i < E.length; i++) sq += E[i]! * E[i]!;
const targetStd = Math.sqrt(sq / E.length);
const vec = new Float32Array(V * H);
let vsq = 0;
let nSeen = 0;
for (let a = 0; a < V; a++) {
  if (row[a] === 0 || special.has(a)) continue;
  nSeen++;
  for (let j = 0; j < H; j++) {
    const x = U[a * H + j]! * Math.sqrt(S[j]!);
    vec[a * H + j] = x;
    vsq += x * x;
  }
}
const scale = targetStd / Math.sqrt(vsq / (nSeen * H));
for (let a = 0; a < V; a++) {
  if (row[a] === 0 || special.has(a)) continue;
  for (let j = 0; j < H; j++) E[a * H + j] = vec[a * H + j]! * scale;
}
saveModel(model, values.out, { tokenizer: tok });
log(`wrote ${values.out}: ${nSeen} of ${V} token vectors replaced (std ${targetStd.toFixed(4)})`);
