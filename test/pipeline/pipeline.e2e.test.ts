// End to end on real data (books → kitchen fixture, test/fixtures/pipeline) with a tiny model,
// through the CLI: every stage runs, checkpoints reload and reproduce their metrics, stage 3
// changes only the target adapter + head, predictions come out, the report is written; and
// `--resume` after an interruption (in-process at two points, a SIGINT-stopped and a SIGKILLed child process)
// reproduces the uninterrupted run's metrics, log and weights exactly.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { env, pipeline } from '@huggingface/transformers';
import { loadAdapter, loadModel } from '../../src/models/index.js';
import { loadTokenizer } from '../../src/text/index.js';
import { readSafetensors } from '../../src/io/safetensors.js';
import { validateConfig } from '../../src/train/config.js';
import { loadDomain, DOMAIN_ID } from '../../src/train/data.js';
import { encodeExamples } from '../../src/data/index.js';
import { evaluateTask } from '../../src/train/evaluate.js';
import { linearProbeInit } from '../../src/train/head-init.js';
import { readTrainerState } from '../../src/train/checkpoint.js';
import type { RunMetrics } from '../../src/eval/types.js';
import { CLI_CHILD, FIXTURES, fixtureConfig, logWithoutTime, runCli, tinyModel, tmp } from './helpers.js';

let model: string;
let base: string;
let runA: string;
let configFile: string;
let trainOut: { code: number; stdout: string; stderr: string };
let seconds = 0;

function metricsOf(run: string): RunMetrics {
  return JSON.parse(readFileSync(join(run, 'metrics.json'), 'utf8')) as RunMetrics;
}

/** The report's tables by the <h3> title before them: header cells and body rows as plain text. */
function reportTables(html: string): Map<string, { head: string[]; rows: string[][] }> {
  const text = (cell: string) =>
    cell
      .replace(/<span class="tag[^"]*">[^<]*<\/span>/g, '') // the "adaptext" / "baseline" badges
      .replace(/<[^>]+>/g, '')
      .replace(/&amp;/g, '&')
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'")
      .trim();
  const cells = (row: string, tag: 'th' | 'td') => [...row.matchAll(new RegExp(`<${tag}[^>]*>([\\s\\S]*?)</${tag}>`, 'g'))].map((c) => text(c[1]!));
  const out = new Map<string, { head: string[]; rows: string[][] }>();
  for (const t of html.matchAll(/<h3>([^<]*)<\/h3>(?:(?!<h3>)[\s\S])*?<table>([\s\S]*?)<\/table>/g)) {
    const [, title, body] = t;
    const head = cells(/<thead>([\s\S]*?)<\/thead>/.exec(body!)![1]!, 'th');
    const rows = [.../<tbody>([\s\S]*?)<\/tbody>/.exec(body!)![1]!.matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)].map((r) => cells(r[1]!, 'td'));
    out.set(text(title!), { head, rows });
  }
  return out;
}

/** `adaptext train` in a child process, sent `signal` once log.jsonl has `afterLines` lines. */
async function trainAndSignal(cfgFile: string, out: string, afterLines: number, signal: NodeJS.Signals) {
  const child = spawn(process.execPath, [...CLI_CHILD, 'train', '--config', cfgFile, '--quiet'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; sig: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, sig) => resolve({ code, sig })));
  const logPath = join(out, 'log.jsonl');
  const lines = () => (existsSync(logPath) ? readFileSync(logPath, 'utf8').split('\n').length - 1 : 0);
  let sentAt = 0;
  const timer = setInterval(() => {
    const n = lines();
    if (n >= afterLines && sentAt === 0) {
      sentAt = n;
      child.kill(signal);
    }
  }, 10);
  const { code, sig } = await exited;
  clearInterval(timer);
  return { code, sig, stderr, sentAt };
}

function writeConfig(name: string, output: string): string {
  const p = join(base, name);
  writeFileSync(
    p,
    JSON.stringify(
      fixtureConfig(model, output, {
        ablation: true,
        // stages 1 and 3 end with trained weights (not their starting points), so the test of what they change has something to inspect
        stage1: { epochs: 2, batch_size: 16, validate_at_start: false },
        // domain centres from stage 2 on: resume, reload, predict and export must all carry them
        // and the refit of the source head at its end (relative to the source centre, through the target adapter)
        stage2: { epochs: 1, batch_size: 16, centre_features: true, refit_head: 'always' },
        stage3: { epochs: 2, batch_size: 8, shots: 32, validate_at_start: false },
      }),
      null,
      2,
    ),
  );
  return p;
}

before(async () => {
  model = tinyModel();
  base = tmp();
  runA = join(base, 'a');
  configFile = writeConfig('a.json', runA);
  const t0 = Date.now();
  trainOut = await runCli(['train', '--config', configFile, '--quiet']);
  seconds = (Date.now() - t0) / 1000;
});

describe('pipeline end to end (books → kitchen fixture, tiny model)', () => {
  it('runs every stage and writes the run folder', () => {
    assert.equal(trainOut.code, 0, trainOut.stderr);
    process.stderr.write(`# e2e: uninterrupted run (3 stages + few-shot-only ablation + baselines) took ${seconds.toFixed(1)} s\n`);
    for (const f of ['run.json', 'log.jsonl', 'metrics.json', 'report.html', 'stage1', 'stage2', 'stage3', 'fewshot_only']) {
      assert.ok(existsSync(join(runA, f)), `${f} missing`);
    }
    assert.ok(!existsSync(join(runA, 'progress')), 'in-stage checkpoints are removed once the stages are published');
    assert.match(trainOut.stdout, /^stage3 +\d+\.\d%/m);
    assert.match(trainOut.stdout, /few-shot only/);
    assert.match(trainOut.stdout, /report: .*report\.html/);
  });

  it('metrics.json has every stage, the ablation, the baselines and the projection', () => {
    const m = metricsOf(runA);
    process.stderr.write(
      `# e2e metrics: ${JSON.stringify(Object.fromEntries(Object.entries(m.stages).map(([k, v]) => [k, { acc: v.target_test?.accuracy, f1: v.target_test?.macroF1, domainClf: v.domain_confusion?.accuracy }])))}\n`,
    );
    process.stderr.write(`# e2e ablation: ${JSON.stringify(m.ablation?.map((a) => [a.name, a.target.accuracy]))} baselines: ${JSON.stringify(m.baselines?.map((b) => [b.name, b.target.accuracy]))}\n`);
    assert.deepEqual(m.labels, ['negative', 'positive']);
    assert.deepEqual(Object.keys(m.stages), ['stage1', 'stage2', 'stage3']);
    for (const s of Object.values(m.stages)) {
      assert.equal(s.target_test!.n, 40);
      assert.equal(s.source_test!.n, 20);
      assert.equal(
        s.target_test!.confusion.flat().reduce((a, b) => a + b, 0),
        40,
      );
      assert.ok(s.domain_confusion!.n > 0 && s.domain_confusion!.accuracy >= 0 && s.domain_confusion!.accuracy <= 1);
    }
    // Default stage2.source_adapter = target: from stage 2 on both domains are scored through the
    // target adapter, so there is no second "through the target adapter" measurement.
    for (const st of ['stage1', 'stage2', 'stage3']) {
      const ev = JSON.parse(readFileSync(join(runA, st, 'evaluation.json'), 'utf8')) as Record<string, unknown>;
      assert.equal(ev['domain_confusion_target_adapter'], undefined, st);
    }
    assert.deepEqual(
      m.ablation!.map((a) => a.name),
      ['source only (stage 1)', 'stages 1+2', 'stages 1+2+3', 'few-shot only'],
    );
    assert.deepEqual(m.ablation![2]!.target, m.stages['stage3']!.target_test);
    assert.deepEqual(
      m.baselines!.map((b) => b.name),
      ['TF-IDF (word 1-2) + LR (source only)', 'TF-IDF (word 1-2) + LR (source + target few-shot)', 'bag-of-words + DANN'],
    );
    for (const k of ['before', 'after'] as const) {
      const pts = m.projection![k];
      assert.equal(pts.filter((p) => p.domain === 'source').length, 20);
      assert.equal(pts.filter((p) => p.domain === 'target').length, 40);
      assert.ok(pts.every((p) => Number.isFinite(p.x) && Number.isFinite(p.y)));
    }
  });

  it('logs steps with every loss component, λ and discriminator accuracy in stage 2, and evaluations', () => {
    const log = readFileSync(join(runA, 'log.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const s2 = log.filter((r) => r['type'] === 'step' && r['stage'] === 'stage2');
    assert.equal(s2.length, 8);
    for (const r of s2)
      for (const k of ['loss', 'lossTask', 'lossMlm', 'lossDomain', 'discAcc', 'lambda', 'lr', 'gradNorm', 'time']) assert.equal(typeof r[k], 'number', `${k} in ${JSON.stringify(r)}`);
    assert.equal(s2[0]!['lambda'], 0);
    assert.ok((s2.at(-1)!['lambda'] as number) > 0.999);
    const steps = log.filter((r) => r['type'] === 'step');
    assert.deepEqual([...new Set(steps.map((r) => r['stage']))], ['stage1', 'stage2', 'stage3', 'fewshot_only']);
    const evals = log.filter((r) => r['type'] === 'eval');
    assert.ok(evals.some((r) => r['stage'] === 'stage1' && r['split'] === 'validation' && r['domain'] === 'source'));
    assert.ok(evals.some((r) => r['stage'] === 'stage3' && r['split'] === 'validation' && r['domain'] === 'target'));
    assert.equal(evals.filter((r) => r['split'] === 'test').length, 4 * 2);
  });

  it("stage 2 ends with the source head refitted as a linear probe of the source rows' final features (refit_head: always)", () => {
    const inits = logWithoutTime(join(runA, 'log.jsonl'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((r) => r['type'] === 'head_init' && r['stage'] === 'stage2');
    assert.deepEqual(
      inits.map((r) => [r['head'], r['method'], r['rows']]),
      [['sentiment', 'linear_probe', 80]],
    );
    const cfg = validateConfig(JSON.parse(readFileSync(configFile, 'utf8')), configFile, base);
    const source = loadDomain(cfg, 'source');
    const dir = join(runA, 'stage2');
    const { model: mdl } = loadModel(dir);
    const tok = loadTokenizer(dir);
    const head = mdl.getHead('sentiment');
    const saved = head.parameters().map((p) => p.data.slice());
    const enc = (rows: typeof source.train) => encodeExamples(rows, tok, { maxLength: cfg.max_length, domain: DOMAIN_ID.source }).encoded;
    // the same probe on the saved stage-2 encoder gives the saved head: source rows through the
    // target adapter (the one stage 2 ran them through), minus the SOURCE domain's centre
    const probe = { head: 'sentiment', adapter: 'kitchen', train: enc(source.train), validation: enc(source.validation), batchSize: cfg.evaluation.batch_size, padId: tok.specialIds.pad };
    linearProbeInit(mdl, { ...probe, domain: 'books' });
    head.parameters().forEach((p, i) => assert.deepEqual(p.data, saved[i], `parameter ${i} of the head`));
    linearProbeInit(mdl, probe); // relative to the target's centre: another bias
    assert.notDeepEqual(head.parameters().at(-1)!.data, saved.at(-1));
  });

  it('checkpoints are self-describing, reload, and reproduce their target test metrics', () => {
    const cfg = validateConfig(JSON.parse(readFileSync(configFile, 'utf8')), configFile, base);
    const target = loadDomain(cfg, 'target');
    const m = metricsOf(runA);
    const adapters: Record<string, string[]> = { stage1: ['books'], stage2: ['books', 'kitchen'], stage3: ['books', 'kitchen'] };
    for (const stage of ['stage1', 'stage2', 'stage3']) {
      const dir = join(runA, stage);
      for (const f of ['config.json', 'model.safetensors', 'adaptext.json', 'trainer_state.json', 'optimizer.safetensors', 'evaluation.json', 'vocab.txt']) {
        assert.ok(existsSync(join(dir, f)), `${stage}/${f}`);
      }
      const st = readTrainerState(dir);
      assert.equal(st.complete, true);
      assert.equal(st.formatVersion, 1);
      assert.equal(st.rng.model.length, 4);
      assert.deepEqual(readdirSync(join(dir, 'adapters')).sort(), adapters[stage]);
      const { model: mdl } = loadModel(dir);
      const tok = loadTokenizer(dir);
      assert.deepEqual(mdl.adapterNames().sort(), adapters[stage]);
      const enc = encodeExamples(target.test, tok, { maxLength: cfg.max_length, domain: DOMAIN_ID.target }).encoded;
      const adapter = mdl.adapterNames().includes('kitchen') ? 'kitchen' : 'books';
      const got = evaluateTask(mdl, enc, { adapter, head: 'sentiment', task: cfg.tasks['sentiment']!, batchSize: 32, padId: tok.specialIds.pad });
      assert.deepEqual(got, m.stages[stage]!.target_test, `${stage}: reloaded checkpoint scores differently`);
    }
    // The AdapterHub folder of the target adapter loads into the stage-2 model and equals its own weights.
    const { model: m2 } = loadModel(join(runA, 'stage2'));
    loadAdapter(m2, join(runA, 'stage2', 'adapters', 'kitchen'), { loadAs: 'kitchen_copy' });
    const a = new Map(m2.adapterParameters('kitchen').map(([k, p]) => [k.replace('.kitchen.', '.X.'), p.data]));
    for (const [k, p] of m2.adapterParameters('kitchen_copy')) assert.deepEqual(p.data, a.get(k.replace('.kitchen_copy.', '.X.')));
  });

  it('stage 3 changes only the target adapter and the target head; stage 2 leaves frozen layers alone', () => {
    const t1 = readSafetensors(join(runA, 'stage1', 'model.safetensors'));
    const t2 = readSafetensors(join(runA, 'stage2', 'model.safetensors'));
    const t3 = readSafetensors(join(runA, 'stage3', 'model.safetensors'));
    const changed: string[] = [];
    for (const [k, t] of t3) {
      const prev = t2.get(k);
      assert.ok(prev !== undefined, `${k} missing in stage2`);
      if (!t.data.every((x, i) => x === prev.data[i])) changed.push(k);
    }
    assert.ok(changed.length > 0);
    // The tiny model's pooler was never trained, so the task head pools by mean and, having no
    // Hugging Face class, is saved under its own name (heads.sentiment.*), not as classifier.*.
    const head = (k: string) => k.startsWith('heads.sentiment.');
    for (const k of changed) assert.ok(/\.adapters\.kitchen\./.test(k) || head(k), `stage 3 changed ${k}`);
    assert.ok(changed.some((k) => k.includes('.adapters.kitchen.')) && changed.some(head));
    // Stage 2 (source rows through the target adapter by default) trains the kitchen adapter and
    // leaves the books adapter exactly as stage 1 left it.
    const adapterKeys = [...t2.keys()].filter((k) => k.includes('.adapters.'));
    assert.ok(
      adapterKeys.some((k) => k.includes('.adapters.kitchen.') && !t2.get(k)!.data.every((x, i) => x === t2.get(k.replace('.kitchen.', '.books.'))!.data[i])),
      'kitchen adapter moved in stage 2',
    );
    for (const k of adapterKeys.filter((k) => k.includes('.adapters.books.'))) assert.deepEqual(t2.get(k)!.data, t1.get(k)!.data, `stage 2 changed ${k}`);
    // 2 layers → freeze_layers 1: embeddings and layer 0 frozen in stages 1 and 2.
    for (const [k, t] of t2) {
      if (!(k.startsWith('bert.embeddings.') || k.startsWith('bert.encoder.layer.0.'))) continue;
      assert.deepEqual(t.data, t1.get(k)!.data, `frozen ${k} changed in stage 2`);
    }
    const raw = readSafetensors(join(model, 'model.safetensors'));
    for (const [k, t] of t1) if (k.startsWith('bert.embeddings.') || k.startsWith('bert.encoder.layer.0.')) assert.deepEqual(t.data, raw.get(k)!.data, `frozen ${k} changed in stage 1`);
    assert.ok(!t1.get('bert.encoder.layer.1.output.dense.weight')!.data.every((x, i) => x === raw.get('bert.encoder.layer.1.output.dense.weight')!.data[i]), 'layer 1 trains in stage 1');
  });

  it('predict writes labels + probabilities per line; the domain picks the adapter', async () => {
    const input = join(base, 'reviews.txt');
    const texts = readFileSync(join(FIXTURES, 'kitchen.unlabelled.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .slice(0, 12)
      .map((l) => (JSON.parse(l) as { text: string }).text.replace(/\s+/g, ' '));
    writeFileSync(input, texts.join('\n') + '\n');
    const out = { kitchen: join(base, 'pred-kitchen.jsonl'), books: join(base, 'pred-books.jsonl') };
    for (const d of ['kitchen', 'books'] as const) {
      const r = await runCli(['predict', '--model', runA, '--domain', d, '--input', input, '--output', out[d]]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, new RegExp(`12 predictions \\(adapter ${d}, head sentiment\\)`));
    }
    const read = (p: string) =>
      readFileSync(p, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { label: string; probabilities: Record<string, number> });
    const k = read(out.kitchen);
    const b = read(out.books);
    assert.equal(k.length, 12);
    for (const r of k) {
      assert.ok(['negative', 'positive'].includes(r.label));
      assert.ok(Math.abs(r.probabilities['negative']! + r.probabilities['positive']! - 1) < 1e-5);
      assert.equal(r.label, r.probabilities['positive']! > r.probabilities['negative']! ? 'positive' : 'negative');
    }
    assert.notDeepEqual(
      k.map((r) => r.probabilities),
      b.map((r) => r.probabilities),
      'different adapters, different probabilities',
    );
    const stdout = await runCli(['predict', '--model', runA, '--input', input]);
    assert.deepEqual(
      stdout.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
      k,
      'default domain = target; stdout = file',
    );
  });

  it("export of the run: transformers.js on the exported folder of each domain gives predict's labels and scores", async () => {
    const input = join(base, 'reviews.txt'); // written by the predict test above
    const texts = readFileSync(input, 'utf8').trim().split('\n');
    for (const d of ['kitchen', 'books'] as const) {
      const folder = join(base, `export-${d}`);
      const r = await runCli(['export', '--model', runA, '--domain', d, '--output', folder]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`exported adapter ${d}, head sentiment \\(negative, positive\\)`));
      const expected = readFileSync(join(base, `pred-${d}.jsonl`), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { label: string; probabilities: Record<string, number> });
      env.allowRemoteModels = false;
      env.localModelPath = base + '/';
      const classify = await pipeline('text-classification', `export-${d}`, { dtype: 'fp32' });
      for (const [i, t] of texts.entries()) {
        const got = (await classify(t, { top_k: null })) as { label: string; score: number }[];
        assert.equal(got[0]!.label, expected[i]!.label, `${d} text ${i}`);
        for (const g of got) assert.ok(Math.abs(g.score - expected[i]!.probabilities[g.label]!) <= 1e-4, `${d} text ${i} ${g.label}`);
      }
      await classify.dispose();
    }
  });

  it('eval scores any later file with the run (latest stage, target adapter)', async () => {
    const r = await runCli(['eval', '--model', runA, '--data', join(FIXTURES, 'kitchen.jsonl'), '--json']);
    assert.equal(r.code, 0, r.stderr);
    const m = JSON.parse(r.stdout) as { n: number; accuracy: number; confusion: number[][] };
    assert.equal(m.n, 120);
    const text = await runCli(['eval', '--model', runA, '--data', join(FIXTURES, 'books.jsonl'), '--domain', 'books']);
    assert.match(text.stdout, /adapter books, head sentiment/);
    assert.match(text.stdout, /accuracy \d+\.\d% {2}macro-F1 \d+\.\d% {2}\(n = 120\)/);
  });

  it('report.html is one self-contained page whose tables show metrics.json; the TF-IDF baselines are the known values', () => {
    const html = readFileSync(join(runA, 'report.html'), 'utf8');
    assert.ok(!/<script|src="http|href="http/.test(html), 'no scripts or network');
    assert.ok((html.match(/<svg/g) ?? []).length >= 6, 'loss curves, λ/discriminator, domain-classifier and PCA plots');
    const m = metricsOf(runA);
    const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
    const f3 = (x: number) => x.toFixed(3);
    const tables = reportTables(html);
    const stages = tables.get('After each stage')!;
    assert.ok(stages, `no 'After each stage' table (tables: ${[...tables.keys()].join(', ')})`);
    assert.deepEqual(stages.head, ['Stage', 'Target acc.', 'Target macro-F1', 'Source acc.', 'Source macro-F1', 'Domain-clf acc.', 'Proxy A-dist.']);
    assert.deepEqual(
      stages.rows,
      ['stage1', 'stage2', 'stage3'].map((k, i) => {
        const st = m.stages[k]!;
        const name = ['Stage 1 · source warm-up', 'Stage 2 · alignment (MLM + DANN)', 'Stage 3 · few-shot target'][i]!;
        return [
          name,
          pct(st.target_test!.accuracy),
          f3(st.target_test!.macroF1),
          pct(st.source_test!.accuracy),
          f3(st.source_test!.macroF1),
          f3(st.domain_confusion!.accuracy),
          f3(st.domain_confusion!.proxyADistance),
        ];
      }),
    );
    const abl = tables.get('Ablation on the target test set')!;
    assert.ok(abl, 'no ablation table');
    assert.deepEqual(abl.head, ['Setting', 'What it is', 'Accuracy', 'Macro-F1', 'Δ acc. vs source only (stage 1)', 'Domain-clf acc.', 'n']);
    const rows = [...m.ablation!.map((a) => ({ ...a, dc: a.domain_confusion })), ...m.baselines!.map((b) => ({ ...b, dc: undefined }))];
    assert.equal(abl.rows.length, 7);
    abl.rows.forEach((r, i) => {
      const want = rows[i]!;
      assert.deepEqual(
        [r[0], r[1], r[2], r[3], r[5], r[6]],
        [want.name, want.description, pct(want.target.accuracy), f3(want.target.macroF1), want.dc ? f3(want.dc.accuracy) : '—', String(want.target.n)],
        `ablation row ${i}`,
      );
    });
    // TF-IDF + logistic regression is deterministic on the fixture split (no model, no seed):
    // 26/40 and 30/40 target test reviews right.
    assert.deepEqual(
      m.baselines!.slice(0, 2).map((b) => [b.name, b.target.n, b.target.accuracy, b.target.macroF1.toFixed(6)]),
      [
        ['TF-IDF (word 1-2) + LR (source only)', 40, 0.65, '0.649123'],
        ['TF-IDF (word 1-2) + LR (source + target few-shot)', 40, 0.75, '0.749373'],
      ],
    );
    assert.deepEqual(
      abl.rows.slice(4, 6).map((r) => [r[2], r[3]]),
      [
        ['65.0%', '0.649'],
        ['75.0%', '0.749'],
      ],
    );
    const dc = tables.get('Domain classifier on held-out features')!;
    assert.deepEqual(
      dc.rows.map((r) => r.slice(1)),
      m.ablation!.map((a) => [f3(a.domain_confusion!.accuracy), f3(a.domain_confusion!.proxyADistance), String(a.domain_confusion!.n)]),
    );
  });
});

describe('--resume reproduces the uninterrupted run exactly', () => {
  const same = (run: string) => {
    assert.equal(readFileSync(join(run, 'metrics.json'), 'utf8'), readFileSync(join(runA, 'metrics.json'), 'utf8'), 'metrics.json');
    assert.deepEqual(logWithoutTime(join(run, 'log.jsonl')), logWithoutTime(join(runA, 'log.jsonl')), 'log.jsonl (without wall-clock time)');
    for (const s of ['stage3', 'fewshot_only']) {
      assert.ok(readFileSync(join(run, s, 'model.safetensors')).equals(readFileSync(join(runA, s, 'model.safetensors'))), `${s} weights`);
    }
  };

  // Stage 1 is 10 steps (5 per epoch, checkpoints at each epoch end), stage 2 is 8 (checkpoint
  // every 4): what the interrupted folder must hold at each stop.
  for (const [stop, where, published, resumeStage, resumeStep] of [
    [7, 'inside stage 1 (2 steps after the last checkpoint)', [], 'stage1', 5],
    [14, 'inside stage 2 (after its step-4 checkpoint)', ['stage1'], 'stage2', 4],
  ] as const) {
    it(`after a crash ${where}`, async () => {
      const out = join(base, `b${stop}`);
      const cfgFile = writeConfig(`b${stop}.json`, out);
      const r = await runCli(['train', '--config', cfgFile, '--quiet', '--stop-after-steps', String(stop)]);
      assert.equal(r.code, 1);
      assert.equal(r.stderr, `adaptext train: interrupted after ${stop} optimizer steps (stopAfterSteps); continue with: adaptext train --resume ${out}\n`);
      for (const s of ['stage1', 'stage2', 'stage3', 'fewshot_only']) assert.equal(existsSync(join(out, s)), (published as readonly string[]).includes(s), `${s}/ published?`);
      if (published.length === 0) assert.ok(!existsSync(join(out, 'metrics.json')), 'no metrics before the first stage is published');
      else assert.deepEqual(Object.keys(metricsOf(out).stages), published, 'metrics.json holds the published stages only');
      assert.deepEqual(readdirSync(join(out, 'progress')), [resumeStage]);
      const st = readTrainerState(join(out, 'progress', resumeStage, 'last'));
      assert.equal(st.complete, false);
      assert.equal(st.step, resumeStep, `the resume point of ${resumeStage}`);
      const steps = logWithoutTime(join(out, 'log.jsonl'))
        .map((l) => JSON.parse(l) as { type: string })
        .filter((l) => l.type === 'step');
      assert.equal(steps.length, stop, 'every step before the interruption was logged');
      const r2 = await runCli(['train', '--resume', out, '--quiet']);
      assert.equal(r2.code, 0, r2.stderr);
      same(out);
    });
  }

  it('after SIGINT: the step finishes, a checkpoint is written, exit 130 with the resume command; the resumed run is the same', async () => {
    const out = join(base, 'sigint');
    const cfgFile = writeConfig('sigint.json', out);
    const { code, sig, stderr, sentAt } = await trainAndSignal(cfgFile, out, 5, 'SIGINT');
    const logPath = join(out, 'log.jsonl');
    assert.equal(sig, null, `the child died of ${sig} instead of stopping cleanly`);
    assert.ok(sentAt > 0, 'the child finished before the signal was sent');
    assert.equal(code, 130, stderr);
    const steps = logWithoutTime(logPath)
      .map((l) => JSON.parse(l) as { type: string; stage: string; step: number })
      .filter((l) => l.type === 'step');
    const last = steps.at(-1)!;
    assert.match(
      stderr,
      new RegExp(
        `adaptext train: ${last.stage} stopped by SIGINT after step ${last.step} \\(checkpoint written\\); continue with: adaptext train --resume ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\n$`,
      ),
    );
    // the checkpoint holds exactly the steps that were logged: nothing is lost, nothing redone
    assert.equal(readTrainerState(join(out, 'progress', last.stage, 'last')).step, last.step);
    const r2 = await runCli(['train', '--resume', out, '--quiet']);
    assert.equal(r2.code, 0, r2.stderr);
    same(out);
  });

  it('after the process is killed (SIGKILL) around stage 3', async () => {
    const out = join(base, 'killed');
    const cfgFile = writeConfig('killed.json', out);
    const { sig, sentAt: killedAt } = await trainAndSignal(cfgFile, out, 28, 'SIGKILL');
    const logPath = join(out, 'log.jsonl');
    assert.equal(sig, 'SIGKILL', 'the child finished before it could be killed');
    process.stderr.write(`# killed the child at ${killedAt} log lines\n`);
    // Where the kill landed: line 28 of the log is stage 3's third step, so stages 1 and 2 are
    // published and the run died in stage 3 or in the few-shot-only ablation, before it finished.
    const killedLog = logWithoutTime(logPath).map((l) => JSON.parse(l) as { type: string; stage: string });
    assert.ok(killedLog.length >= 28, `killed at ${killedLog.length} log lines`);
    assert.ok(['stage3', 'fewshot_only'].includes(killedLog.at(-1)!.stage), `the last logged record is in ${killedLog.at(-1)!.stage}`);
    assert.ok(existsSync(join(out, 'stage1')) && existsSync(join(out, 'stage2')), 'stages 1 and 2 were published before the kill');
    assert.ok(!existsSync(join(out, 'fewshot_only')), 'killed before the run finished');
    const r2 = await runCli(['train', '--resume', out, '--quiet']);
    assert.equal(r2.code, 0, r2.stderr);
    same(out);
  });
});
