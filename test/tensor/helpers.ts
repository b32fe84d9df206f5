// Shared helpers of the tensor-core tests: run one body per kernel backend, seeded random
// tensors, and a finite-difference gradient checker.
import { Tensor, noGrad, setBackend, Rng, shapeSize, type Shape } from '../../src/tensor/index.js';
import { forEachBackend } from '../support/native.js';

export type BackendName = 'js' | 'wasm' | 'native';

/**
 * Registers `body` once per backend: `title [js]` and `title [wasm]` always, `title [native]`
 * when the addon loads, otherwise a visible skip — or a failure under ADAPTEXT_REQUIRE_NATIVE=1
 * (test/support/native.ts). The active backend is restored to js afterwards.
 */
export function testBothBackends(title: string, body: (backend: BackendName) => void | Promise<void>): void {
  forEachBackend(
    (name) => `${title} [${name}]`,
    async (name) => {
      setBackend(name);
      try {
        await body(name);
      } finally {
        setBackend('js');
      }
    },
  );
}

export function randTensor(rng: Rng, shape: Shape, opts: { requiresGrad?: boolean; scale?: number; awayFromZero?: number } = {}): Tensor {
  const s = opts.scale ?? 1;
  const d = new Float32Array(shapeSize(shape));
  for (let i = 0; i < d.length; i++) {
    let v = rng.normal() * s;
    // Keeps kinks (relu at 0) and poles (div by ~0) out of the finite-difference stencil.
    if (opts.awayFromZero !== undefined && Math.abs(v) < opts.awayFromZero) v = v < 0 ? v - opts.awayFromZero : v + opts.awayFromZero;
    d[i] = v;
  }
  return new Tensor(d, shape, opts.requiresGrad ?? true);
}

export interface GradCheckResult {
  maxAbsErr: number;
  maxRelErr: number; // max |a-n| / (|n| + atol)
  worst: string;
}

/**
 * Compares the analytic gradient of L = sum(out * W) (W fixed random, L accumulated in float64)
 * with central differences for every element of every input that requires grad.
 * eps is ~1e-3, applied to float32 data; the actually representable step is used.
 * Passes when |analytic - numeric| <= atol + rtol * |numeric| for every element. With
 * `gradFactor` k the analytic gradient must instead equal k * numeric (ops whose backward is
 * deliberately not the true gradient: gradientReversal's is -lambda times it).
 */
export function gradCheck(
  name: string,
  f: () => Tensor,
  inputs: Tensor[],
  { eps = 1e-3, rtol = 1e-2, atol = 1e-3, seed = 123, gradFactor = 1 }: { eps?: number; rtol?: number; atol?: number; seed?: number; gradFactor?: number } = {},
): GradCheckResult {
  for (const x of inputs) x.zeroGrad();
  const out = f();
  const wr = new Rng(seed);
  const W = new Float64Array(out.size);
  for (let i = 0; i < W.length; i++) W[i] = wr.normal();
  out.backward(Float32Array.from(W));
  const analytic = inputs.map((x) => (x.grad === null ? new Float32Array(x.size) : x.grad.slice()));

  const loss = (): number =>
    noGrad(() => {
      const o = f();
      let s = 0;
      for (let i = 0; i < o.size; i++) s += o.data[i]! * W[i]!;
      return s;
    });

  let maxAbsErr = 0;
  let maxRelErr = 0;
  let worst = '';
  const failures: string[] = [];
  inputs.forEach((x, xi) => {
    for (let i = 0; i < x.size; i++) {
      const orig = x.data[i]!;
      x.data[i] = orig + eps;
      const up = x.data[i]!;
      const lp = loss();
      x.data[i] = orig - eps;
      const dn = x.data[i]!;
      const lm = loss();
      x.data[i] = orig;
      const num = (gradFactor * (lp - lm)) / (up - dn);
      const ana = analytic[xi]![i]!;
      const err = Math.abs(ana - num);
      const rel = err / (Math.abs(num) + atol);
      if (err > maxAbsErr) maxAbsErr = err;
      if (rel > maxRelErr) {
        maxRelErr = rel;
        worst = `input ${xi} [${i}]: analytic ${ana} numeric ${num}`;
      }
      if (!(err <= atol + rtol * Math.abs(num))) {
        if (failures.length < 5) failures.push(`input ${xi} ${x.name ?? ''}[${i}]: analytic ${ana}, numeric ${num}`);
        else if (failures.length === 5) failures.push('...');
      }
    }
  });
  if (failures.length > 0) {
    throw new Error(`${name}: gradient mismatch (rtol ${rtol}, atol ${atol}):\n  ${failures.join('\n  ')}`);
  }
  return { maxAbsErr, maxRelErr, worst };
}
