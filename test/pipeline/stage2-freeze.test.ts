// stage2.freeze_layers: stage 2 trains the layers below the adapters (and, at 0, the embeddings)
// only when asked; the default leaves what the top-level freeze_layers froze exactly as stage 1
// left it. Values above the model's depth are refused with the field named.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { join } from 'node:path';
import { loadCheckpoint } from '../../src/train/checkpoint.js';
import { resolveModelDependent, validateConfig } from '../../src/train/config.js';
import { trainPipeline } from '../../src/train/pipeline.js';
import { fixtureConfig, tinyModel, tmp } from './helpers.js';

const WATCHED = ['bert.embeddings.word_embeddings.weight', 'bert.encoder.layer.0.attention.self.query.weight', 'bert.encoder.layer.1.attention.self.query.weight'];

async function changedByStage2(freeze: number | null): Promise<Record<string, boolean>> {
  const out = tmp();
  const raw = fixtureConfig(tinyModel({ layers: 2 }), out, {
    stage2: { epochs: 1, batch_size: 16, freeze_layers: freeze },
    stage3: { enabled: false },
    ablation: false,
    baselines: false,
  });
  await trainPipeline(validateConfig(raw, 'test', '/'));
  const params = (stage: string) =>
    new Map(
      loadCheckpoint(join(out, stage), { seed: 1 })
        .model.namedParameters()
        .map(([k, p]) => [k, p.data]),
    );
  const s1 = params('stage1');
  const s2 = params('stage2');
  const changed: Record<string, boolean> = {};
  for (const k of WATCHED) {
    const a = s1.get(k);
    const b = s2.get(k);
    assert.ok(a !== undefined && b !== undefined, `${k}: not in the checkpoints`);
    changed[k] = a.some((x, i) => x !== b[i]);
  }
  return changed;
}

test('stage2.freeze_layers: default keeps the frozen layer and embeddings; 0 trains them in stage 2', async () => {
  // the tiny model has 2 layers: the default freezes layer 0 and the embeddings in stages 1 and 2
  assert.deepEqual(await changedByStage2(null), {
    'bert.embeddings.word_embeddings.weight': false,
    'bert.encoder.layer.0.attention.self.query.weight': false,
    'bert.encoder.layer.1.attention.self.query.weight': true,
  });
  assert.deepEqual(await changedByStage2(0), {
    'bert.embeddings.word_embeddings.weight': true,
    'bert.encoder.layer.0.attention.self.query.weight': true,
    'bert.encoder.layer.1.attention.self.query.weight': true,
  });
});

test('stage2.freeze_layers above the model depth is refused, naming the field', () => {
  const cfg = validateConfig(fixtureConfig('/nonexistent-model', tmp(), { stage2: { freeze_layers: 3 } }), 'test', '/');
  assert.throws(() => resolveModelDependent(cfg, 2), /^Error: stage2\.freeze_layers: 3 is more than the model's 2 layers$/);
  assert.equal(resolveModelDependent(cfg, 3).freezeLayers, 1, 'the top-level default floor(L/2) is unchanged by the stage-2 value');
});
