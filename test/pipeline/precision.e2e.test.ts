// `precision: bf16` reaches the linear layers of a whole pipeline run (every stage, evaluation),
// `precision: fp32` never calls the bf16 GEMM, and the run restores the process-wide setting.
// Counted by wrapping the active kernel table's gemm / gemmBf16 for the run (restored after).
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { join } from 'node:path';
import { validateConfig } from '../../src/train/config.js';
import { trainPipeline } from '../../src/train/pipeline.js';
import { kernels, matmulPrecision, type Kernels } from '../../src/tensor/index.js';
import { fixtureConfig, tinyModel, tmp } from './helpers.js';

const table = kernels() as { -readonly [K in 'gemm' | 'gemmBf16']: Kernels[K] };
const original = { gemm: table.gemm, gemmBf16: table.gemmBf16 };
const calls = { gemm: 0, gemmBf16: 0 };
for (const name of ['gemm', 'gemmBf16'] as const) {
  table[name] = (...a: Parameters<Kernels['gemm']>) => {
    calls[name]++;
    original[name](...a);
  };
}

async function run(precision: 'fp32' | 'bf16'): Promise<{ gemm: number; gemmBf16: number; acc: number | undefined }> {
  calls.gemm = calls.gemmBf16 = 0;
  const raw = fixtureConfig(tinyModel(), join(tmp(), 'run'), { precision, baselines: false, stage1: { epochs: 1, batch_size: 16 }, stage3: { epochs: 1, batch_size: 8, shots: 32 } });
  const r = await trainPipeline(validateConfig(raw, 'test', '/'));
  return { ...calls, acc: r.metrics.stages['stage3']?.target_test?.accuracy };
}

describe('pipeline precision', () => {
  after(() => Object.assign(table, original));

  it('bf16: the linear layers run gemmBf16 in every stage; the setting is restored after the run', async () => {
    const c = await run('bf16');
    console.log(`bf16 run: ${c.gemmBf16} gemmBf16 calls, ${c.gemm} fp32 gemm calls (bias gradients, heads' probes), stage-3 target accuracy ${c.acc}`);
    assert.ok(c.gemmBf16 > 100, `only ${c.gemmBf16} bf16 GEMM calls`);
    assert.ok(c.acc !== undefined && c.acc > 0);
    assert.equal(matmulPrecision(), 'fp32');
  });

  it('fp32: gemmBf16 is never called', async () => {
    const c = await run('fp32');
    assert.equal(c.gemmBf16, 0);
    assert.ok(c.gemm > 100);
  });
});
