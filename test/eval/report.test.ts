import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderReport, writeReport, parseLog, type ReportInput } from '../../src/eval/report.js';
import { niceTicks, tickLabel } from '../../src/eval/report/charts.js';
import { classificationMetrics } from '../../src/eval/metrics.js';
import { makeSampleRun } from './fixtures/sample-run.js';
import { tmp } from '../support/tmp.js';

const VOID = new Set(['meta', 'br', 'img', 'input', 'hr', 'link', 'wbr', 'col', 'source']);

/** Well-formedness: every non-void tag closed in order; no stray '<' in text. Returns tag counts. */
function checkStructure(html: string): Map<string, number> {
  assert.ok(html.startsWith('<!DOCTYPE html>\n<html lang="en">'), 'doctype + html');
  const body = html.replace(/^<!DOCTYPE html>/, '');
  const stack: string[] = [];
  const counts = new Map<string, number>();
  const re = /<(\/?)([a-zA-Z][a-zA-Z0-9]*)((?:\s+[^\s=>/]+(?:="[^"]*")?)*)\s*(\/?)>/g;
  let last = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(body))) {
    const text = body.slice(last, m.index);
    assert.ok(!text.includes('<'), `stray '<' in text near: ${text.slice(text.indexOf('<'), text.indexOf('<') + 60)}`);
    last = re.lastIndex;
    const [, close, name, , self] = m;
    const tag = name!.toLowerCase();
    if (close) {
      const open = stack.pop();
      assert.equal(open, tag, `</${tag}> closes <${open}> at offset ${m.index}`);
    } else {
      counts.set(tag, (counts.get(tag) ?? 0) + 1);
      if (!self && !VOID.has(tag)) stack.push(tag);
    }
  }
  assert.ok(!body.slice(last).includes('<'), 'stray < at the end');
  assert.deepEqual(stack, [], 'unclosed tags');
  return counts;
}

function selfContained(html: string): void {
  assert.ok(!/<script/i.test(html), 'no scripts');
  assert.ok(!/\b(?:src|href)="(?!#)/i.test(html), 'no external src/href (only in-page anchors)');
  assert.ok(!/@import|url\((?!#)/i.test(html), 'no external CSS resources');
  assert.ok(!/https?:\/\//i.test(html.replace(/<pre>[\s\S]*?<\/pre>/g, '')), 'no URLs outside the config dump');
}

test('full sample run: every section present, well-formed, self-contained, deterministic', () => {
  const s = makeSampleRun();
  const html = renderReport(s);
  const counts = checkStructure(html);
  selfContained(html);
  for (const id of ['results', 'curves', 'alignment', 'per-class', 'vocab', 'config']) {
    assert.ok(html.includes(`<section id="${id}">`), `section ${id}`);
    assert.ok(html.includes(`<a href="#${id}">`), `toc link ${id}`);
  }
  // header: route, model, seed, date, durations
  assert.match(html, /<b>books<\/b><span class="arrow">→<\/span><b>kitchen<\/b>/);
  assert.match(html, /models\/adaptext-mini-en/);
  assert.match(html, /<dt>seed<\/dt><dd>42<\/dd>/);
  assert.match(html, /2026-11-28 14:05:12 UTC/);
  assert.match(html, /stage2 \d+ min \d\d s/);
  // 3 loss charts + 3 validation charts + disc/λ + domain bars + 2 scatters = 10 charts
  assert.equal(html.match(/<svg class="chart"/g)!.length, 10);
  assert.ok((counts.get('path') ?? 0) > 20 && (counts.get('circle') ?? 0) > 100);
  // ablation + baselines in one table, per-stage and per-class tables, 6 confusion matrices
  for (const name of ['source-only', '+ alignment', '+ few-shot', 'few-shot only', 'TF-IDF + LR (source only)', 'TF-IDF + LR (source + target few-shot)']) {
    assert.ok(html.includes(`<td>${name.replace(/&/g, '&amp;')}<span class="tag`), `ablation row ${name}`);
  }
  assert.equal(html.match(/<table class="cm">/g)!.length, 6);
  assert.match(html, /discriminator accuracy/);
  assert.match(html, /gradient-reversal λ/);
  assert.match(html, /Stage 1 \(before\)/);
  assert.match(html, /Before alignment[\s\S]*After alignment/);
  assert.match(html, /1\u2009423/); // vocab.added, thin-space thousands
  assert.equal(renderReport(s), html, 'same input → identical page');
});

test('every run-supplied string is escaped (labels, stage names, names, vocab, config)', () => {
  const evil = '<script>alert(1)</script>';
  const labels = [evil, 'a&b "q"', "it's"];
  const s = makeSampleRun({ labels });
  s.metrics.vocab!.examples = ['<b>bold</b>', '##&amp;'];
  s.metrics.ablation![0]!.name = '<img src=x onerror=alert(1)>';
  s.log.push({ type: 'step', stage: '<i>stageX</i>', step: 1, epoch: 0, loss: 1, lr: 1e-4, gradNorm: 1, time: 0 });
  (s.run.config as Record<string, unknown>).source = { domain: '"><svg onload=alert(1)>' };
  const html = renderReport(s);
  checkStructure(html);
  selfContained(html);
  assert.ok(!html.includes(evil) && !html.includes('<img') && !html.includes('<b>bold') && !html.includes('<i>stageX'));
  assert.ok(!html.includes('<svg onload'));
  assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
  assert.ok(html.includes('a&amp;b &quot;q&quot;'));
  assert.ok(html.includes('it&#39;s'));
  assert.ok(html.includes('##&amp;amp;'));
  assert.ok(html.includes('&quot;&gt;&lt;svg onload=alert(1)&gt;'));
});

test('a minimal run (one stage, no log, no run.json) still renders, saying what is missing', () => {
  const labels = ['neg', 'pos'];
  const input: ReportInput = {
    run: null,
    metrics: { labels, stages: { stage1: { target_test: classificationMetrics([0, 1, 1, 0], [0, 1, 0, 0], labels) } } },
    log: [],
    notes: ['run.json is missing: run details unknown'],
  };
  const html = renderReport(input);
  checkStructure(html);
  selfContained(html);
  assert.match(html, /run\.json is missing/);
  assert.match(html, /No training steps were logged/);
  assert.match(html, /No ablation or baselines in this run/);
  assert.ok(!html.includes('id="alignment"') && !html.includes('id="vocab"') && !html.includes('id="config"'));
  assert.ok(html.includes('<section id="per-class">'));
  const empty = renderReport({ run: null, metrics: null, log: [] });
  checkStructure(empty);
  assert.match(empty, /No metrics\.json in this run yet/);
});

test('writeReport reads a run folder and replaces report.html atomically; bad files are named', () => {
  const dir = tmp('adaptext-report-');
  try {
    const s = makeSampleRun();
    writeFileSync(join(dir, 'run.json'), JSON.stringify(s.run));
    writeFileSync(join(dir, 'metrics.json'), JSON.stringify(s.metrics));
    // a truncated last line (writer killed mid-append) is skipped with a note
    writeFileSync(join(dir, 'log.jsonl'), s.log.map((r) => JSON.stringify(r)).join('\n') + '\n{"type":"step","sta');
    writeFileSync(join(dir, 'report.html'), 'OLD');
    const path = writeReport(dir);
    assert.equal(path, join(dir, 'report.html'));
    const html = readFileSync(path, 'utf8');
    assert.equal(html, renderReport({ ...s, notes: [`${join(dir, 'log.jsonl')}:${s.log.length + 1}: incomplete last line ignored (the writer was probably interrupted)`] }));
    assert.deepEqual(readdirSync(dir).sort(), ['log.jsonl', 'metrics.json', 'report.html', 'run.json'], 'no temp files left');

    writeFileSync(join(dir, 'metrics.json'), JSON.stringify({ ...s.metrics, stages: { stage1: { target_test: { ...s.metrics.stages.stage1!.target_test!, accuracy: 'high' } } } }));
    assert.throws(() => writeReport(dir), /metrics\.json: stages\.stage1\.target_test: "accuracy" must be a number, got "high"/);
    assert.equal(readFileSync(path, 'utf8'), html, 'a failed render leaves the old report untouched');
    writeFileSync(join(dir, 'metrics.json'), '{"labels": [}');
    assert.throws(() => writeReport(dir), /metrics\.json: invalid JSON \(Unexpected token/);
    writeFileSync(join(dir, 'metrics.json'), '{\n"labels": [],\n"stages": {} 2}'); // V8 reports a position here → line 3
    assert.throws(() => writeReport(dir), /metrics\.json:3: invalid JSON/);
    assert.throws(() => writeReport(join(dir, 'nope')), /run folder does not exist/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('parseLog: file:line errors, unknown record types skipped, truncation only forgiven at the end', () => {
  const ok = '{"type":"step","stage":"stage1","step":1,"epoch":0,"loss":0.7,"lr":1e-5,"gradNorm":1,"time":0}';
  assert.equal(parseLog(`${ok}\n{"type":"progress"}\n`).records.length, 1);
  assert.match(parseLog(`${ok}\n{"type":"progress"}\n`).notes[0]!, /1 record\(s\) of other types/);
  assert.throws(() => parseLog(`${ok}\n{oops\n${ok}\n`, 'log.jsonl'), /^Error: log\.jsonl:2: invalid JSON/);
  assert.throws(() => parseLog('{"type":"step","stage":"s","step":1}\n', 'log.jsonl'), /log\.jsonl:1: "loss" must be a number/);
  assert.throws(() => parseLog('{"type":"eval","stage":"s","step":1,"split":"dev","domain":"source","metrics":{}}\n'), /"split" must be "validation" or "test"/);
});

test('durations: a stage lasts from its first to its last step record (Unix seconds); a clock set back gives none', () => {
  const base = { type: 'step' as const, stage: 'stage1', epoch: 0, loss: 0.5, lr: 1e-5, gradNorm: 1 };
  const render = (times: number[]) => renderReport({ run: null, metrics: null, log: times.map((time, i) => ({ ...base, step: i + 1, time })) });
  assert.match(render([1.7e9, 1.7e9 + 60, 1.7e9 + 125]), /<dt>training time<\/dt><dd>2 min 05 s/);
  assert.doesNotMatch(render([1.7e9 + 125, 1.7e9 + 60, 1.7e9]), /<dt>training time<\/dt>/);
});

test('chart helpers: nice ticks cover the range with round steps; labels keep the needed decimals', () => {
  const t = niceTicks(0.23, 0.91, 5);
  assert.equal(t.step, 0.2);
  assert.deepEqual(
    t.ticks.map((v) => Number(v.toFixed(10))),
    [0.2, 0.4, 0.6, 0.8, 1],
  );
  assert.equal(niceTicks(0, 600, 6).step, 100);
  assert.equal(tickLabel(0.25, 0.25), '0.25');
  assert.equal(tickLabel(12000, 2000), '12k');
  assert.equal(tickLabel(-0.0000001, 0.1), '0');
});

test('chart helpers: a range of a few ulps (0.57 vs 0.5700000000000001) gives a few ticks, not an endless loop', () => {
  const t = niceTicks(0.57, 0.5700000000000001, 5);
  assert.ok(t.ticks.length >= 2 && t.ticks.length <= 12, `ticks: ${t.ticks.length}`);
  assert.ok(t.ticks[0]! <= 0.57 && t.ticks[t.ticks.length - 1]! >= 0.57);
  const flat = niceTicks(5, 5, 5);
  assert.ok(flat.ticks.length >= 2 && flat.ticks.length <= 12);
  const bad = niceTicks(Number.NaN, Number.POSITIVE_INFINITY, 5);
  assert.ok(bad.ticks.length >= 2 && bad.ticks.length <= 12);
});
