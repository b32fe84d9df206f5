// Training mechanics on the real fixture and a tiny model: learning-rate groups actually
// applied, clipping applied, frozen parameters unchanged, stage-2 passes wired per domain
// (each adapter only gets gradients from its own domain's rows, λ = 0 at the first step cuts the
// discriminator's gradient into the encoder), early stopping keeps the best checkpoint.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { loadModel, saveModel, type AdapterModel } from '../../src/models/index.js';
import { loadTokenizer, type Tokenizer } from '../../src/text/index.js';
import { encodeExamples, readDataset, type EncodedExample } from '../../src/data/index.js';
import { validateConfig, type PipelineConfig } from '../../src/train/config.js';
import { RunFolder } from '../../src/train/run-folder.js';
import { runStage, type StageHooks } from '../../src/train/trainer.js';
import { supervisedHooks } from '../../src/train/supervised.js';
import { alignmentHooks, linearMmd } from '../../src/train/alignment.js';
import { adapterSpec, buildOptimizer, copyAdapter, ensureDiscriminator, ensureMlmHead, ensureTaskHead, setTrainable, type GroupLrs } from '../../src/train/setup.js';
import { readTrainerState } from '../../src/train/checkpoint.js';
import { silentProgress } from '../../src/engine/progress.js';
import { fingerprintOf } from '../../src/train/pipeline.js';
import { FIXTURES, fixtureConfig, tinyModel, tmp } from './helpers.js';
import { arrayDiff, assertClose } from '../support/close.js';
import { Tensor } from '../../src/tensor/index.js';

let modelDir: string;
let tok: Tokenizer;
let books: EncodedExample[];
let kitchen: EncodedExample[];
let cfg: PipelineConfig;
const TASK = { type: 'sequence_classification' as const, pooling: 'auto' as const, classifier_dropout: null, labels: ['negative', 'positive'] };

function snapshot(model: AdapterModel): Map<string, Float32Array> {
  return new Map(model.namedParameters().map(([k, p]) => [k, p.data.slice()]));
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  return arrayDiff(a, b).maxAbs;
}

/** A 4-layer model with the source adapter in layers 2-3 and the sentiment head; layers 0-1 + embeddings frozen. */
function stage1Model(seed = 1): AdapterModel {
  const { model } = loadModel(tinyModel({ layers: 4 }), { seed });
  model.addAdapter('books', adapterSpec(cfg, [0, 1]));
  ensureTaskHead(model, 'sentiment', TASK);
  model.setActiveAdapter('books');
  setTrainable(model, { freezeLayers: 2, adapters: ['books'], heads: ['sentiment'] });
  return model;
}

function newRun(): RunFolder {
  return RunFolder.create(join(tmp(), 'run'), { config: {}, seed: 1, model: modelDir, modelFingerprint: fingerprintOf(modelDir) });
}

async function trainOneStep(model: AdapterModel, lrs: GroupLrs, clipNorm: number, run = newRun()) {
  const optimizer = buildOptimizer(model, lrs, { totalSteps: 1000, warmupRatio: 0, weightDecay: 0, betas: [0.9, 0.999], eps: 1e-8 });
  const hooks = supervisedHooks({
    stage: 'stage1',
    run,
    model,
    adapter: 'books',
    head: 'sentiment',
    task: TASK,
    role: 'source',
    train: books.slice(0, 16),
    validation: [],
    batchSize: 16,
    evalBatchSize: 16,
    padId: tok.specialIds.pad,
    seed: 1,
    metric: 'macro_f1',
    progress: silentProgress,
  });
  await runStage(
    {
      stage: 'stage1',
      run,
      model,
      tokenizer: tok,
      optimizer,
      epochs: 1,
      totalSteps: 1,
      patience: null,
      clipNorm,
      saveEvery: 100,
      baseModel: fingerprintOf(modelDir),
      progress: silentProgress,
      budget: { stopAfterSteps: null, stepsDone: 0 },
      resumeFrom: null,
    },
    hooks,
  );
  return { optimizer, run };
}

before(() => {
  modelDir = tinyModel({ layers: 4 });
  tok = loadTokenizer(modelDir);
  const labels = ['negative', 'positive'];
  books = encodeExamples(readDataset(join(FIXTURES, 'books.jsonl'), { task: 'classification', labels }).examples, tok, { maxLength: 32, domain: 0 }).encoded;
  kitchen = encodeExamples(readDataset(join(FIXTURES, 'kitchen.unlabelled.jsonl'), { task: 'unlabelled' }).examples, tok, { maxLength: 32, domain: 1 }).encoded;
  cfg = validateConfig(fixtureConfig(modelDir, join(tmp(), 'unused')), 'test', '/');
});

describe('stage mechanics', () => {
  it('moves each parameter group by its own learning rate; frozen parameters stay bit-identical', () => {
    // A stage-2 model, so all five groups exist and get gradients: backbone (layers 2-3), word
    // embeddings (trainable), both adapters, heads (sentiment + MLM) and the discriminator.
    const model = stage1Model();
    copyAdapter(model, 'books', 'kitchen');
    const mlm = ensureMlmHead(model);
    const disc = ensureDiscriminator(model, cfg, ['books', 'kitchen']);
    setTrainable(model, { freezeLayers: 2, trainWordEmbeddings: true, adapters: ['books', 'kitchen'], heads: ['sentiment', mlm, disc] });
    const before = snapshot(model);
    const lrs = { adapters: 1e-3, heads: 4e-3, backbone: 2.5e-4, embeddings: 7e-4, discriminator: 9e-3 };
    const optimizer = buildOptimizer(model, lrs, { totalSteps: 1000, warmupRatio: 0, weightDecay: 0, betas: [0.9, 0.999], eps: 1e-8 });
    const hooks = alignmentHooks({
      run: newRun(),
      model,
      tokenizer: tok,
      stage2: { ...cfg.stage2, batch_size: 10, loss_weights: { task: 1, mlm: 1, domain: 1, target_task: 0, mmd: 0 } },
      source: { domain: 'books', adapter: 'books', head: 'sentiment', task: TASK, train: books, validation: [] },
      target: { domain: 'kitchen', adapter: 'kitchen', head: null, task: TASK, stream: kitchen },
      mlmHead: mlm,
      discriminator: disc,
      features: 'mean',
      totalSteps: 11,
      evalBatchSize: 16,
      padId: tok.specialIds.pad,
      seed: 1,
      progress: silentProgress,
    });
    hooks.planEpoch(0);
    model.zeroGrad();
    model.train();
    hooks.step(0, 5); // λ > 0: the reversed gradient reaches the encoder
    optimizer.step();
    const groupOf = (k: string) =>
      k.startsWith(`heads.${disc}.`)
        ? 'discriminator'
        : k.startsWith('heads.')
          ? 'heads'
          : k.includes('.adapters.')
            ? 'adapters'
            : k === 'bert.embeddings.word_embeddings.weight'
              ? 'embeddings'
              : 'backbone';
    const moved: Record<string, number> = {};
    for (const [k, p] of model.namedParameters()) {
      const d = maxAbsDiff(p.data, before.get(k)!);
      const frozen = (k.startsWith('bert.embeddings.') && k !== 'bert.embeddings.word_embeddings.weight') || /^bert\.encoder\.layer\.[01]\./.test(k);
      if (frozen) assert.equal(d, 0, `${k} is frozen but changed by ${d}`);
      else moved[groupOf(k)] = Math.max(moved[groupOf(k)] ?? 0, d);
    }
    // AdamW's first step moves every coordinate with a gradient by lr·g/(|g|+eps) ≈ ±lr.
    assert.deepEqual(Object.keys(moved).sort(), ['adapters', 'backbone', 'discriminator', 'embeddings', 'heads']);
    for (const g of ['adapters', 'heads', 'backbone', 'embeddings', 'discriminator'] as const) {
      assert.ok(Math.abs(moved[g]! - lrs[g]) / lrs[g] < 1e-3, `${g}: largest change ${moved[g]} vs lr ${lrs[g]}`);
    }
  });

  it('clips the global gradient norm before the optimizer sees it', async () => {
    const small = await trainOneStep(stage1Model(), { adapters: 1e-3, heads: 1e-3, backbone: 1e-3, embeddings: 0, discriminator: 0 }, 1e-4);
    const big = await trainOneStep(stage1Model(), { adapters: 1e-3, heads: 1e-3, backbone: 1e-3, embeddings: 0, discriminator: 0 }, 1e9);
    // exp_avg after one step = (1 − β1)·g_clipped: its global norm shows what was clipped.
    const norm = (o: typeof small.optimizer) => {
      let s = 0;
      for (const [k, v] of Object.entries(o.stateDict().tensors)) if (k.endsWith('.exp_avg')) for (const x of v) s += (x / 0.1) ** 2;
      return Math.sqrt(s);
    };
    const logged = (r: RunFolder) => (r.readLog().find((x) => x.type === 'step') as { gradNorm: number }).gradNorm;
    assert.ok(logged(small.run) > 1e-2, `pre-clip norm ${logged(small.run)}`);
    assert.ok(Math.abs(norm(small.optimizer) - 1e-4) / 1e-4 < 1e-3, `clipped norm ${norm(small.optimizer)}`);
    assert.ok(Math.abs(norm(big.optimizer) - logged(big.run)) / logged(big.run) < 1e-3, 'unclipped: the optimizer sees the logged norm');
    assert.ok(Math.abs(logged(small.run) - logged(big.run)) < 1e-9 * logged(big.run), 'same data, same pre-clip norm');
  });

  it('stage 2 passes: each adapter gets gradients only from its own rows; λ = 0 at step 0 stops the GRL gradient', () => {
    const model = stage1Model();
    copyAdapter(model, 'books', 'kitchen');
    const mlm = ensureMlmHead(model);
    const disc = ensureDiscriminator(model, cfg, ['books', 'kitchen']);
    setTrainable(model, { freezeLayers: 2, adapters: ['books', 'kitchen'], heads: ['sentiment', mlm, disc] });
    const run = newRun();
    const grads = (weights: { task: number; mlm: number; domain: number; mmd?: number }, step: number) => {
      const hooks = alignmentHooks({
        run,
        model,
        tokenizer: tok,
        features: 'mean',
        stage2: { ...cfg.stage2, batch_size: 10, loss_weights: { mmd: 0, ...weights, target_task: 0 } },
        source: { domain: 'books', adapter: 'books', head: 'sentiment', task: TASK, train: books, validation: [] },
        target: { domain: 'kitchen', adapter: 'kitchen', head: null, task: TASK, stream: kitchen },
        mlmHead: mlm,
        discriminator: disc,
        totalSteps: 11,
        evalBatchSize: 16,
        padId: tok.specialIds.pad,
        seed: 1,
        progress: silentProgress,
      });
      hooks.planEpoch(0);
      model.zeroGrad();
      model.train();
      const out = hooks.step(0, step);
      const norm = (pred: (k: string) => boolean) => {
        let s = 0;
        for (const [k, p] of model.namedParameters()) if (pred(k) && p.grad !== null) for (const g of p.grad) s += g * g;
        return Math.sqrt(s);
      };
      return {
        out,
        source: norm((k) => k.includes('.adapters.books.')),
        target: norm((k) => k.includes('.adapters.kitchen.')),
        upper: norm((k) => /^bert\.encoder\.layer\.[23]\./.test(k) && !k.includes('.adapters.')),
        disc: norm((k) => k.startsWith(`heads.${disc}.`)),
        task: norm((k) => k.startsWith('heads.sentiment.')),
      };
    };
    const task = grads({ task: 1, mlm: 0, domain: 0 }, 5);
    assert.ok(task.source > 0 && task.task > 0 && task.target === 0, `task loss: source ${task.source}, target ${task.target}`);
    const lm = grads({ task: 0, mlm: 1, domain: 0 }, 5);
    assert.ok(lm.target > 0 && lm.source === 0 && lm.task === 0, `MLM: target ${lm.target}, source ${lm.source}`);
    assert.ok(lm.out.lossMlm! > 0 && lm.out.lossTask === undefined);
    const d0 = grads({ task: 0, mlm: 0, domain: 1 }, 0);
    assert.equal(d0.out.lambda, 0);
    assert.ok(d0.disc > 0, 'the discriminator learns at λ = 0');
    assert.ok(d0.source === 0 && d0.target === 0 && d0.upper === 0, `λ = 0: no gradient into the encoder (${d0.source}, ${d0.target}, ${d0.upper})`);
    const d5 = grads({ task: 0, mlm: 0, domain: 1 }, 5);
    assert.ok(Math.abs(d5.out.lambda! - 0.9866142981514303) < 1e-12 && d5.source > 0 && d5.target > 0 && d5.upper > 0, 'λ > 0: reversed gradient reaches both adapters and the encoder');
    assert.ok(d5.out.discAcc! >= 0 && d5.out.discAcc! <= 1 && d5.out.lossDomain! > 0);
    // the linear-MMD term alone: no discriminator or task head involved, its gradient reaches both
    // adapters and the encoder through the features (one backward over the graphs of passes 1 and 2)
    const m5 = grads({ task: 0, mlm: 0, domain: 0, mmd: 1 }, 5);
    assert.ok(m5.out.lossMmd! > 0 && m5.source > 0 && m5.target > 0 && m5.upper > 0, `MMD: ${m5.out.lossMmd}, source ${m5.source}, target ${m5.target}`);
    assert.ok(m5.disc === 0 && m5.task === 0 && m5.out.lossDomain === undefined, 'MMD trains no head');
    const m0 = grads({ task: 0, mlm: 0, domain: 0, mmd: 1 }, 0);
    assert.ok(m0.out.lossMmd! > 0 && m0.source === 0 && m0.target === 0, 'λ = 0 weighs the MMD term out too');
    // and with the other terms on, the total loss adds λ·w·MMD
    const all = grads({ task: 1, mlm: 0, domain: 1, mmd: 2 }, 5);
    assert.ok(all.out.lossMmd! > 0 && all.out.lossTask! > 0 && all.out.lossDomain! > 0);
  });

  it('linear MMD² is the squared distance of the row means, with the gradient of that', () => {
    const fs = new Tensor(Float32Array.from([1, 2, 3, 4]), [2, 2], true);
    const ft = new Tensor(Float32Array.from([0, 0, 2, 2, 1, 1]), [3, 2], true);
    const m = linearMmd(fs, ft); // means (2, 3) and (1, 1): d = (1, 2), ‖d‖² = 5
    assert.ok(Math.abs(m.data[0]! - 5) < 1e-6);
    m.backward();
    // ∂/∂fs_i = 2d/Bs = (1, 2) per row; ∂/∂ft_j = −2d/Bt = (−2/3, −4/3) per row
    assertClose(fs.grad!, [1, 2, 1, 2], 'd mmd / d fs', { atol: 1e-6 });
    assertClose(ft.grad!, [-2 / 3, -4 / 3, -2 / 3, -4 / 3, -2 / 3, -4 / 3], 'd mmd / d ft', { atol: 1e-6 });
  });

  it('non-finite weights after the last update of a stage are never saved (issue 13 item 4), and never loaded', async () => {
    const model = stage1Model();
    const run = newRun();
    const optimizer = buildOptimizer(
      model,
      { adapters: 1e-3, heads: 1e-3, backbone: 1e-3, embeddings: 0, discriminator: 0 },
      { totalSteps: 10, warmupRatio: 0, weightDecay: 0, betas: [0.9, 0.999], eps: 1e-8 },
    );
    const inner = supervisedHooks({
      stage: 'stage1',
      run,
      model,
      adapter: 'books',
      head: 'sentiment',
      task: TASK,
      role: 'source',
      train: books.slice(0, 8),
      validation: [],
      batchSize: 8,
      evalBatchSize: 8,
      padId: tok.specialIds.pad,
      seed: 1,
      metric: 'macro_f1',
      progress: silentProgress,
    });
    const [name, victim] = model.namedParameters().find(([, p]) => p.requiresGrad)!;
    // loss and gradient norm of the (only) step are finite; the weights it leaves are not
    const hooks: StageHooks = {
      ...inner,
      step: (b, st) => {
        const out = inner.step(b, st);
        victim.data[3] = NaN;
        return out;
      },
    };
    await assert.rejects(
      runStage(
        {
          stage: 'stage1',
          run,
          model,
          tokenizer: tok,
          optimizer,
          epochs: 1,
          totalSteps: 1,
          patience: null,
          clipNorm: 1,
          saveEvery: 100,
          baseModel: fingerprintOf(modelDir),
          progress: silentProgress,
          budget: { stopAfterSteps: null, stepsDone: 0 },
          resumeFrom: null,
        },
        hooks,
      ),
      new RegExp(`^Error: stage1: after step 1 weight ${name.replace(/\./g, '\\.')}\\[3\\] is NaN; nothing was saved`),
    );
    assert.ok(!existsSync(run.progressDir('stage1', 'last')), 'no checkpoint written');
    // a model folder holding NaN is refused on load, naming the tensor (not "lower the learning rates" later)
    const bad = join(tmp(), 'nan-model');
    saveModel(model, bad);
    assert.throws(() => loadModel(bad), /nan-model: tensor "[^"]+" holds NaN at index 3; refusing to load non-finite weights/);
  });

  it('early stopping: stops after `patience` epochs without improvement and keeps the best checkpoint', async () => {
    const model = stage1Model();
    const run = newRun();
    const optimizer = buildOptimizer(
      model,
      { adapters: 1e-3, heads: 1e-3, backbone: 1e-3, embeddings: 0, discriminator: 0 },
      { totalSteps: 100, warmupRatio: 0, weightDecay: 0, betas: [0.9, 0.999], eps: 1e-8 },
    );
    const inner = supervisedHooks({
      stage: 'stage1',
      run,
      model,
      adapter: 'books',
      head: 'sentiment',
      task: TASK,
      role: 'source',
      train: books.slice(0, 8),
      validation: [],
      batchSize: 8,
      evalBatchSize: 8,
      padId: tok.specialIds.pad,
      seed: 1,
      metric: 'macro_f1',
      progress: silentProgress,
    });
    const scores = [0.5, 0.7, 0.6, 0.65, 0.9];
    let epoch = 0;
    const hooks: StageHooks = { ...inner, validate: () => scores[epoch++]! };
    const r = await runStage(
      {
        stage: 'stage1',
        run,
        model,
        tokenizer: tok,
        optimizer,
        epochs: 5,
        totalSteps: 100,
        patience: 2,
        clipNorm: 1,
        saveEvery: 100,
        baseModel: fingerprintOf(modelDir),
        progress: silentProgress,
        budget: { stopAfterSteps: null, stepsDone: 0 },
        resumeFrom: null,
      },
      hooks,
    );
    assert.equal(r.state.stopped, 'early_stopping');
    assert.equal(r.state.step, 4, 'stopped after epoch 4 (two epochs without beating 0.7)');
    assert.deepEqual(r.state.best, { metric: 0.7, step: 2, epoch: 2 });
    assert.equal(r.finalDir, run.progressDir('stage1', 'best'));
    assert.equal(readTrainerState(r.finalDir).step, 2);
  });

  it('validateAtStart: the starting model is a candidate; when no epoch beats it, the stage ends with the untouched start', async () => {
    const model = stage1Model();
    const start = snapshot(model);
    const run = newRun();
    const optimizer = buildOptimizer(
      model,
      { adapters: 1e-3, heads: 1e-3, backbone: 1e-3, embeddings: 0, discriminator: 0 },
      { totalSteps: 100, warmupRatio: 0, weightDecay: 0, betas: [0.9, 0.999], eps: 1e-8 },
    );
    const inner = supervisedHooks({
      stage: 'stage1',
      run,
      model,
      adapter: 'books',
      head: 'sentiment',
      task: TASK,
      role: 'source',
      train: books.slice(0, 8),
      validation: [],
      batchSize: 8,
      evalBatchSize: 8,
      padId: tok.specialIds.pad,
      seed: 1,
      metric: 'macro_f1',
      progress: silentProgress,
    });
    const scores = [0.8, 0.5, 0.7]; // before training, after epoch 1, after epoch 2
    const calls: number[] = [];
    const hooks: StageHooks = { ...inner, validate: (step) => (calls.push(step), scores[calls.length - 1]!) };
    const opts = {
      stage: 'stage1' as const,
      run,
      model,
      tokenizer: tok,
      optimizer,
      epochs: 2,
      totalSteps: 100,
      patience: null,
      clipNorm: 1,
      saveEvery: 100,
      baseModel: fingerprintOf(modelDir),
      progress: silentProgress,
      budget: { stopAfterSteps: null, stepsDone: 0 },
      resumeFrom: null,
    };
    const r = await runStage({ ...opts, validateAtStart: true }, hooks);
    assert.deepEqual(calls, [0, 1, 2], 'validated before step 1 and after each epoch');
    assert.deepEqual(r.state.best, { metric: 0.8, step: 0, epoch: 0 });
    assert.equal(r.finalDir, run.progressDir('stage1', 'best'));
    const { model: saved } = loadModel(r.finalDir);
    for (const [k, v] of start) assert.deepEqual(saved.stateDict().get(k)!.data, v, `${k} differs from the start`);
    assert.ok(
      model.namedParameters().some(([k, p]) => !p.data.every((x, i) => x === start.get(k)![i])),
      'training did move the live model',
    );
  });
});
