// Different tasks per domain: source = review sentiment (sequence classification), target =
// sentiment-cue tagging (token classification, JSON Lines {tokens, tags} for training and CoNLL
// for test). Each task has its own head; stage 2 trains both jointly (loss_weights.target_task),
// stage 3 only the target adapter + the tagging head. Eval/predict work on the tagging head.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel } from '../../src/models/index.js';
import type { RunMetrics } from '../../src/eval/types.js';
import { FIXTURES, fixtureConfig, runCli, tinyModel, tmp } from './helpers.js';

let run: string;
let trainResult: { code: number; stdout: string; stderr: string };
const conll = join(FIXTURES, 'kitchen.tags.conll');

function conllWords(): number {
  return readFileSync(conll, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '').length;
}

before(async () => {
  const dir = tmp();
  run = join(dir, 'run');
  const cfg = fixtureConfig(tinyModel(), run, {
    tasks: {
      sentiment: { type: 'sequence_classification', labels: ['negative', 'positive'] },
      cues: { type: 'token_classification', labels: ['O', 'POS', 'NEG'] },
    },
    target: {
      name: 'kitchen',
      task: 'cues',
      train: join(FIXTURES, 'kitchen.tags.jsonl'),
      test: conll,
      unlabelled: join(FIXTURES, 'kitchen.unlabelled.jsonl'),
    },
    stage2: { epochs: 1, batch_size: 16, loss_weights: { target_task: 1 } },
    stage3: { epochs: 2, batch_size: 8, shots: 40 },
  }) as Record<string, unknown>;
  const file = join(dir, 'multitask.json');
  writeFileSync(file, JSON.stringify(cfg));
  trainResult = await runCli(['train', '--config', file, '--quiet']);
});

describe('source and target with different tasks', () => {
  it('trains each task with its own head; stage 2 trains both jointly', () => {
    assert.equal(trainResult.code, 0, trainResult.stderr);
    const m = JSON.parse(readFileSync(join(run, 'metrics.json'), 'utf8')) as RunMetrics;
    assert.deepEqual(m.labels, ['O', 'POS', 'NEG']);
    assert.equal(m.stages['stage1']!.target_test, undefined, 'no tagging head before stage 2');
    assert.equal(m.stages['stage1']!.source_test!.n, 20);
    const words = conllWords();
    for (const s of ['stage2', 'stage3']) {
      const t = m.stages[s]!.target_test!;
      assert.deepEqual(t.labels, ['O', 'POS', 'NEG']);
      assert.ok(t.n > 0.9 * words && t.n <= words, `token-level n ${t.n} of ${words} words (some cut by max_length)`);
      assert.equal(m.stages[s]!.source_test!.labels.length, 2);
    }
    assert.equal(m.baselines, undefined, 'TF-IDF baselines only when both domains share a sequence task');
    const { model: m2 } = loadModel(join(run, 'stage2'));
    assert.deepEqual(m2.headNames().sort(), ['cues', 'domain', 'mlm', 'sentiment']);
    const cfg3 = JSON.parse(readFileSync(join(run, 'stage3', 'config.json'), 'utf8')) as { architectures: string[]; id2label: Record<string, string> };
    assert.deepEqual(cfg3.architectures, ['BertForTokenClassification']);
    assert.deepEqual(cfg3.id2label, { 0: 'O', 1: 'POS', 2: 'NEG' });
  });

  it('eval reads CoNLL with the tagging head; predict gives per-word labels', async () => {
    const e = await runCli(['eval', '--model', run, '--data', conll, '--json']);
    assert.equal(e.code, 0, e.stderr);
    assert.deepEqual((JSON.parse(e.stdout) as { labels: string[] }).labels, ['O', 'POS', 'NEG']);
    const input = join(tmp(), 'in.jsonl');
    writeFileSync(input, [JSON.stringify({ id: 1, tokens: ['Great', 'pan', ',', 'never', 'sticks'] }), JSON.stringify({ id: 2, text: 'It broke after a week' })].join('\n') + '\n');
    const p = await runCli(['predict', '--model', run, '--input', input]);
    assert.equal(p.code, 0, p.stderr);
    const rows = p.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: number; tokens: string[]; labels: string[]; probabilities: Array<Record<string, number>> });
    assert.deepEqual(
      rows.map((r) => r.id),
      [1, 2],
    );
    assert.deepEqual(rows[0]!.tokens, ['Great', 'pan', ',', 'never', 'sticks']);
    assert.deepEqual(rows[1]!.tokens, ['It', 'broke', 'after', 'a', 'week']);
    for (const r of rows) {
      assert.equal(r.labels.length, r.tokens.length);
      for (const [i, l] of r.labels.entries()) {
        assert.ok(['O', 'POS', 'NEG'].includes(l));
        const pr = r.probabilities[i]!;
        assert.ok(Math.abs(pr['O']! + pr['POS']! + pr['NEG']! - 1) < 1e-5);
      }
    }
    const src = await runCli(['predict', '--model', run, '--domain', 'books', '--input', input]);
    assert.equal(src.code, 0, src.stderr);
    const srcRows = src.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { id: number; label: unknown; probabilities: Record<string, number> });
    assert.deepEqual(
      srcRows.map((r) => r.id),
      [1, 2],
      'one prediction per input line',
    );
    for (const r of srcRows) {
      assert.ok(['negative', 'positive'].includes(r.label as string), `the source domain predicts with its own (sentiment) head: ${JSON.stringify(r)}`);
      assert.deepEqual(Object.keys(r.probabilities).sort(), ['negative', 'positive']);
    }
  });
});
