// The config validator: unknown keys with "did you mean", wrong types naming the key path and
// the file, defaults, freezing, path resolution, unions, and typed inference.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolve } from 'node:path';
import { check, editDistance, parseJson, suggest, v, validate, ValidationError, type Infer } from '../../src/io/validate.js';

const Stage = v.object({
  lr: v.number({ min: 0, exclusiveMin: true }),
  epochs: v.withDefault(v.integer({ min: 1 }), 3),
  warmup_ratio: v.optional(v.number({ min: 0, max: 1 })),
});
const Pipeline = v.object({
  model: v.path(),
  output: v.path(),
  seed: v.withDefault(v.integer({ min: 0 }), 42),
  tasks: v.array(
    v.object({
      name: v.string({ nonEmpty: true }),
      type: v.enum(['sequence_classification', 'token_classification'] as const),
      labels: v.array(v.string(), { minItems: 2 }),
    }),
    { minItems: 1 },
  ),
  adapters: v.withDefault(v.record(v.object({ reduction_factor: v.integer({ min: 1 }) })), {}),
  stages: v.object({ stage1: Stage, stage2: v.optional(Stage) }),
  shots: v.withDefault(v.union([v.integer({ min: 1 }), v.path()]), 500),
});
type Pipeline = Infer<typeof Pipeline>;

const good = () => ({
  model: 'models/tiny',
  output: '/abs/runs/x',
  tasks: [{ name: 'sentiment', type: 'sequence_classification', labels: ['neg', 'pos'] }],
  adapters: { kitchen: { reduction_factor: 16 } },
  stages: { stage1: { lr: 2e-5 } },
});

function issuesOf(value: unknown): string[] {
  try {
    validate(Pipeline, value, { source: 'cfg/pipeline.json' });
  } catch (e) {
    assert.ok(e instanceof ValidationError);
    assert.ok(!e.message.includes('\n'), e.message);
    assert.ok(e.message.startsWith('cfg/pipeline.json: '), e.message);
    return e.issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message));
  }
  assert.fail('expected a ValidationError');
}

describe('validate', () => {
  it('accepts a valid config, fills defaults, resolves relative paths against the config dir, freezes', () => {
    const cfg: Pipeline = validate(Pipeline, good(), { source: 'cfg/pipeline.json', baseDir: '/home/u/cfg' });
    assert.equal(cfg.model, resolve('/home/u/cfg', 'models/tiny'));
    assert.equal(cfg.output, '/abs/runs/x');
    assert.equal(cfg.seed, 42);
    assert.equal(cfg.shots, 500);
    assert.equal(cfg.stages.stage1.epochs, 3);
    assert.equal(cfg.stages.stage1.warmup_ratio, undefined);
    assert.equal(cfg.stages.stage2, undefined);
    assert.equal(cfg.adapters['kitchen']!.reduction_factor, 16);
    assert.ok(Object.isFrozen(cfg) && Object.isFrozen(cfg.tasks[0]!.labels) && Object.isFrozen(cfg.stages.stage1));
    assert.throws(() => {
      (cfg as { seed: number }).seed = 1;
    }, TypeError);
  });

  it('rejects an unknown key with a suggestion, naming the key path and the file', () => {
    const c = good() as Record<string, unknown>;
    c['stages'] = { stage1: { lrr: 1e-5, lr: 1e-5 } };
    assert.deepEqual(issuesOf(c), ['stages.stage1.lrr: unknown key (did you mean "lr"?)']);
    const c2 = { ...good(), sed: 1 };
    assert.deepEqual(issuesOf(c2), ['sed: unknown key (did you mean "seed"?)']);
    const c3 = { ...good(), stages: { stage1: { lr: 1, warmupRatio: 0.1 } } };
    assert.deepEqual(issuesOf(c3), ['stages.stage1.warmupRatio: unknown key (did you mean "warmup_ratio"?)']);
  });

  it('lists the allowed keys when nothing is close', () => {
    const c = { ...good(), stages: { stage1: { lr: 1, zzzzzz: 1 } } };
    assert.deepEqual(issuesOf(c), ['stages.stage1.zzzzzz: unknown key; allowed: lr, epochs, warmup_ratio']);
  });

  it('rejects wrong types naming the key path, the expected type and the value', () => {
    const c = good();
    (c.stages.stage1 as Record<string, unknown>)['lr'] = '1e-5';
    (c.tasks[0] as Record<string, unknown>)['labels'] = ['neg', 3];
    assert.deepEqual(issuesOf(c), ['tasks[0].labels[1]: expected a string, got number 3', 'stages.stage1.lr: expected a number > 0, got string "1e-5"']);
    const err = (() => {
      try {
        validate(Pipeline, c, { source: 'cfg/pipeline.json' });
      } catch (e) {
        return e as Error;
      }
    })()!;
    assert.equal(err.message, 'cfg/pipeline.json: tasks[0].labels[1]: expected a string, got number 3; stages.stage1.lr: expected a number > 0, got string "1e-5"');
  });

  it('enums, ranges, integers, missing keys, array sizes', () => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the test breaks nested keys on purpose
    const c = good() as Record<string, any>;
    c.tasks[0].type = 'sequence_clasification';
    c.tasks[0].labels = ['only'];
    c.stages.stage1 = { lr: 0, epochs: 2.5 };
    c.seed = -1;
    delete c.model;
    assert.deepEqual(issuesOf(c), [
      'model: missing (expected a path (string))',
      'seed: expected an integer >= 0, got -1',
      'tasks[0].type: expected one of "sequence_classification", "token_classification", got "sequence_clasification" (did you mean "sequence_classification"?)',
      'tasks[0].labels: expected at least 2 item(s), got 1',
      'stages.stage1.lr: expected a number > 0, got 0',
      'stages.stage1.epochs: expected an integer >= 1, got number 2.5',
    ]);
  });

  it('unions: the first matching alternative wins; errors list the alternatives', () => {
    assert.equal(validate(Pipeline, { ...good(), shots: 200 }, { source: 's' }).shots, 200);
    assert.equal(validate(Pipeline, { ...good(), shots: '/d/few.jsonl' }, { source: 's' }).shots, '/d/few.jsonl');
    assert.deepEqual(issuesOf({ ...good(), shots: true }), ['shots: expected an integer >= 1 or a path (string), got boolean true']);
  });

  it('record keys can be constrained; null and arrays are not objects', () => {
    const S = v.record(v.integer(), { key: v.string({ pattern: /^[a-z]+$/, patternName: 'a lower-case name' }) });
    assert.deepEqual(check(S, { ok: 1, 'Bad-Key': 2 }), [{ path: 'Bad-Key', message: 'expected a lower-case name, got "Bad-Key"' }]);
    assert.deepEqual(check(S, null), [{ path: '', message: 'expected an object, got null' }]);
    assert.deepEqual(check(S, [1]), [{ path: '', message: 'expected an object, got an array (1 items)' }]);
  });

  it('refine and object-level refine', () => {
    const Heads = v.refine(v.integer(), (n) => (n % 2 === 0 ? undefined : `must be even, got ${n}`));
    assert.deepEqual(check(Heads, 3), [{ path: '', message: 'must be even, got 3' }]);
    const Dims = v.object({ hidden: v.integer(), heads: v.integer() }, { refine: (o) => ((o['hidden'] as number) % (o['heads'] as number) ? 'hidden must be divisible by heads' : undefined) });
    assert.deepEqual(check(v.object({ dims: Dims }), { dims: { hidden: 10, heads: 3 } }), [{ path: 'dims', message: 'hidden must be divisible by heads' }]);
  });

  it('shows at most three issues in the message', () => {
    const S = v.object({ a: v.integer(), b: v.integer(), c: v.integer(), d: v.integer() });
    assert.throws(() => validate(S, {}, { source: 'x.yaml' }), /^ValidationError: x\.yaml: a: missing .*; b: .*; c: .*; \(\+1 more\)$/);
  });

  it('editDistance and suggest', () => {
    assert.equal(editDistance('kitten', 'sitting'), 3);
    assert.equal(editDistance('lr', 'rl'), 1);
    assert.equal(editDistance('', 'abc'), 3);
    assert.equal(suggest('learningRate', ['learning_rate', 'lr']), 'learning_rate');
    assert.equal(suggest('epohcs', ['epochs', 'seed']), 'epochs');
    assert.equal(suggest('x', ['epochs', 'seed']), undefined);
  });

  it('parseJson locates syntax errors as file:line:col', () => {
    assert.deepEqual(parseJson('\ufeff{"a": 1}', 'f.json'), { a: 1 });
    assert.throws(() => parseJson('{\n  "a": 1\n  "b": 2\n}', 'f.json'), /^Error: f\.json:3:3: invalid JSON: Expected ',' or '}' after property value$/);
    assert.throws(() => parseJson('{"a":}', 'f.json'), /^Error: f\.json: invalid JSON: Unexpected token '}'$/);
  });
});
