// Pipeline config: YAML and JSON, defaults from the method, unknown keys and wrong
// types named with the file and key path, flag overrides, model-dependent defaults.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadPipelineConfig, parseSetFlag, resolveModelDependent, stageLrs, validateConfig } from '../../src/train/config.js';
import { tmp } from './helpers.js';

const minimal = {
  model: './models/tiny', // './': a path, never a hub model id
  output: 'runs/x',
  tasks: { sentiment: { type: 'sequence_classification', labels: ['negative', 'positive'] } },
  source: { name: 'books', task: 'sentiment', labelled: 'books.jsonl' },
  target: { name: 'kitchen', task: 'sentiment', labelled: 'kitchen.jsonl', unlabelled: 'kitchen.txt' },
};

function write(name: string, text: string): string {
  const p = join(tmp(), name);
  writeFileSync(p, text);
  return p;
}

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    const msg = (e as Error).message;
    assert.ok(!msg.includes('\n'), `one line: ${msg}`);
    return msg;
  }
  assert.fail('expected an error');
}

describe('pipeline config', () => {
  it('fills the method defaults and resolves paths against the config folder', () => {
    const file = write('run.json', JSON.stringify(minimal));
    const c = loadPipelineConfig(file);
    const dir = join(file, '..');
    assert.equal(c.model, join(dir, 'models/tiny'));
    // a value that is no existing folder but reads as a hub model id stays the id (fetched at run time)
    const asId = loadPipelineConfig(write('run-id.json', JSON.stringify({ ...minimal, model: 'org/some-model@v1' })));
    assert.equal(asId.model, 'org/some-model@v1');
    assert.equal(c.source.labelled, join(dir, 'books.jsonl'));
    assert.equal(c.seed, 42);
    assert.equal(c.stage2.source_ratio, 0.7);
    assert.equal(c.stage2.source_adapter, 'target');
    assert.equal(c.stage2.mlm_probability, 0.15);
    assert.deepEqual(c.stage2.loss_weights, { task: 1, mlm: 1, domain: 1, target_task: 0, mmd: 0 });
    assert.deepEqual(c.stage2.lambda, { schedule: 'ganin', gamma: 10, max: 1 });
    assert.equal(c.optimizer.clip_norm, 1.0);
    assert.equal(c.optimizer.warmup_ratio, 0.1);
    assert.equal(c.adapters.config, 'seq_bn');
    assert.equal(c.adapters.reduction_factor, 16);
    assert.equal(c.stage3.shots, 500);
    assert.equal(c.stage1.patience, 2);
    assert.equal(c.stage2.patience, null);
    assert.deepEqual(stageLrs(c, c.stage1), { adapters: 5e-4, heads: 2e-5, backbone: 1e-5, embeddings: 1e-5, discriminator: 5e-4 });
  });

  it('reads YAML the same as JSON', () => {
    const yaml = `model: ./models/tiny
output: runs/x
tasks:
  sentiment: {type: sequence_classification, labels: [negative, positive]}
source: {name: books, task: sentiment, labelled: books.jsonl}
target: {name: kitchen, task: sentiment, labelled: kitchen.jsonl, unlabelled: kitchen.txt}
stage1: {epochs: 5, lr: {heads: 1.0e-3}}
`;
    const dir = tmp();
    writeFileSync(join(dir, 'a.yaml'), yaml);
    writeFileSync(join(dir, 'a.json'), JSON.stringify({ ...minimal, stage1: { epochs: 5, lr: { heads: 1e-3 } } }));
    const a = loadPipelineConfig(join(dir, 'a.yaml'));
    const b = loadPipelineConfig(join(dir, 'a.json'));
    assert.deepEqual(a, b);
    assert.equal(stageLrs(a, a.stage1).heads, 1e-3);
    assert.equal(stageLrs(a, a.stage2).heads, 2e-5, 'a stage override does not leak into other stages');
  });

  it('freezes floor(L/2) lower layers by default and puts adapters above them', () => {
    const c = validateConfig(minimal, 'c.json', '/');
    assert.deepEqual(resolveModelDependent(c, 12), { freezeLayers: 6, leaveOut: [0, 1, 2, 3, 4, 5] });
    assert.deepEqual(resolveModelDependent(c, 4), { freezeLayers: 2, leaveOut: [0, 1] });
    assert.deepEqual(resolveModelDependent(c, 1), { freezeLayers: 0, leaveOut: [] });
    const d = validateConfig({ ...minimal, freeze_layers: 3, adapters: { leave_out: [0] } }, 'c.json', '/');
    assert.deepEqual(resolveModelDependent(d, 12), { freezeLayers: 3, leaveOut: [0] });
    assert.match(
      errorOf(() => resolveModelDependent(validateConfig({ ...minimal, freeze_layers: 13 }, 'c.json', '/'), 12)),
      /freeze_layers: 13 is more than the model's 12 layers/,
    );
  });

  it('rejects a typo with "did you mean", naming the file and key path', () => {
    const file = write(
      'run.yaml',
      `model: m\noutput: o\ntasks: {s: {type: sequence_classification, labels: [a, b]}}\nsource: {name: x, task: s, labelled: x.jsonl}\ntarget: {name: y, task: s, labelled: y.jsonl}\nstage1: {epochz: 2}\n`,
    );
    const msg = errorOf(() => loadPipelineConfig(file));
    assert.equal(msg, `${file}: stage1.epochz: unknown key (did you mean "epochs"?)`);
  });

  it('rejects wrong types and values naming the key', () => {
    const msg = errorOf(() => validateConfig({ ...minimal, seed: 'x', tasks: { sentiment: { type: 'regression', labels: ['a', 'a'] } } }, 'cfg.json', '/'));
    assert.match(msg, /^cfg\.json: /);
    assert.match(msg, /seed: expected an integer >= 0, got string "x"/);
    assert.match(msg, /tasks\.sentiment\.type: expected one of "sequence_classification", "token_classification", got "regression"/);
    assert.match(msg, /tasks\.sentiment\.labels: label "a" is listed twice/);
    const ratio = errorOf(() => validateConfig({ ...minimal, stage2: { source_ratio: 1.5 } }, 'cfg.json', '/'));
    assert.equal(ratio, 'cfg.json: stage2.source_ratio: expected a number > 0 and < 1, got 1.5');
  });

  it('checks cross-field rules: unknown task, same domain names, source few-shot, missing data', () => {
    assert.match(
      errorOf(() => validateConfig({ ...minimal, target: { ...minimal.target, task: 'topic' } }, 'c.json', '/')),
      /target\.task: unknown task "topic" \(tasks: sentiment\)/,
    );
    assert.match(
      errorOf(() => validateConfig({ ...minimal, target: { ...minimal.target, name: 'books' } }, 'c.json', '/')),
      /must have different names/,
    );
    assert.match(
      errorOf(() => validateConfig({ ...minimal, source: { ...minimal.source, few_shot: 'f.jsonl' } }, 'c.json', '/')),
      /source\.few_shot: only the target domain/,
    );
    assert.match(
      errorOf(() => validateConfig({ ...minimal, source: { name: 'books', task: 'sentiment' } }, 'c.json', '/')),
      /source: needs labelled data/,
    );
    assert.match(
      errorOf(() => validateConfig({ ...minimal, source: { ...minimal.source, train: 't.jsonl' } }, 'c.json', '/')),
      /give either `labelled` \(split by seed\) or `train`\/`validation`\/`test` files, not both/,
    );
  });

  it('applies flag overrides over the file and names the flag in errors', () => {
    const file = write('run.json', JSON.stringify({ ...minimal, seed: 1, stage1: { epochs: 3 } }));
    const c = loadPipelineConfig(file, [
      parseSetFlag('stage1.epochs=7'),
      { path: 'seed', value: 9, origin: '--seed' },
      parseSetFlag('stage2.loss_weights.domain=0.1'),
      parseSetFlag('stage2.discriminator.hidden_sizes=[8, 4]'),
    ]);
    assert.equal(c.stage1.epochs, 7);
    assert.equal(c.seed, 9);
    assert.equal(c.stage2.loss_weights.domain, 0.1);
    assert.deepEqual(c.stage2.discriminator.hidden_sizes, [8, 4]);
    const msg = errorOf(() => loadPipelineConfig(file, [parseSetFlag('stage1.epochs=two')]));
    assert.ok(msg.includes('(with --set stage1.epochs=two)'), msg);
    assert.match(msg, /stage1\.epochs: expected an integer >= 1, got string "two"/);
    assert.match(
      errorOf(() => parseSetFlag('epochs')),
      /expected key\.path=value/,
    );
  });

  it('precision: fp32 by default, bf16 from the file or --precision, anything else named with the key', () => {
    assert.equal(validateConfig(minimal, 'cfg.json', '/').precision, 'fp32');
    assert.equal(validateConfig({ ...minimal, precision: 'bf16' }, 'cfg.json', '/').precision, 'bf16');
    const file = write('run.json', JSON.stringify(minimal));
    assert.equal(loadPipelineConfig(file, [{ path: 'precision', value: 'bf16', origin: '--precision' }]).precision, 'bf16');
    assert.equal(
      errorOf(() => validateConfig({ ...minimal, precision: 'fp16' }, 'cfg.json', '/')),
      'cfg.json: precision: expected one of "fp32", "bf16", got "fp16"',
    );
  });

  it('refuses prototype keys in overrides (issue 13: `--set __proto__.max_steps=1` capped every stage)', () => {
    const file = write('proto.json', JSON.stringify(minimal));
    for (const k of ['__proto__.max_steps=1', 'stage1.__proto__.epochs=1', 'constructor.prototype.epochs=1', 'stage1.constructor=1']) {
      assert.match(
        errorOf(() => parseSetFlag(k)),
        /cannot be a config key/,
        k,
      );
      // an Override built without parseSetFlag (library users) is refused as well
      const [path, value] = k.split('=');
      assert.match(
        errorOf(() => loadPipelineConfig(file, [{ path: path!, value: Number(value), origin: 'api' }])),
        /api: '(__proto__|constructor)' cannot be a config key/,
      );
    }
    assert.equal(({} as Record<string, unknown>)['max_steps'], undefined, 'Object.prototype untouched');
    const c = loadPipelineConfig(file);
    assert.equal(c.stage1.max_steps ?? null, null);
  });

  it('refuses a config that would train nothing (every stage disabled, no ablation)', () => {
    const off = { stage1: { enabled: false }, stage2: { enabled: false }, stage3: { enabled: false } };
    assert.match(
      errorOf(() => validateConfig({ ...minimal, ...off }, 'c.json', '/')),
      /c\.json: .*every stage is disabled/,
    );
    assert.equal(validateConfig({ ...minimal, ...off, ablation: true }, 'c.json', '/').ablation, true, 'the few-shot-only ablation alone is work');
  });

  it('refuses names that cannot become file names up front (a 300-character domain failed with ENAMETOOLONG after stage 1)', () => {
    const long = 'd'.repeat(300);
    assert.match(
      errorOf(() => validateConfig({ ...minimal, target: { ...minimal.target, name: long } }, 'c.json', '/')),
      /target\.name: expected a name of 1 to 64 letters/,
    );
    assert.match(
      errorOf(() => validateConfig({ ...minimal, target: { ...minimal.target, name: 'a/b' } }, 'c.json', '/')),
      /target\.name: expected a name of 1 to 64/,
    );
    assert.equal(validateConfig({ ...minimal, target: { ...minimal.target, name: 'k'.repeat(64) } }, 'c.json', '/').target.name.length, 64);
  });

  it('reports unreadable, empty and malformed config files in one line', () => {
    assert.match(
      errorOf(() => loadPipelineConfig('/nonexistent/run.yaml')),
      /^\/nonexistent\/run\.yaml: no such config file$/,
    );
    assert.match(
      errorOf(() => loadPipelineConfig(write('e.yaml', '  \n'))),
      /e\.yaml: the config file is empty$/,
    );
    // (the line:col comes from src/io parseJson when Node's message carries a position)
    assert.match(
      errorOf(() => loadPipelineConfig(write('b.json', '{"model": "m",\n "output": }'))),
      /b\.json(:2:\d+)?: invalid JSON/,
    );
    assert.match(
      errorOf(() => loadPipelineConfig(write('b.yaml', 'model: [unclosed\n'))),
      /b\.yaml:\d+:\d+: invalid YAML/,
    );
    // found by the fuzz suite: an alias to an unset anchor came out as a bare ReferenceError
    assert.match(
      errorOf(() => loadPipelineConfig(write('alias.yaml', 'model: *nowhere\n'))),
      /^\S*alias\.yaml: invalid YAML: Unresolved alias/,
    );
  });
});
