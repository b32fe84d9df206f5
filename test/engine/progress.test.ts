// The CLI progress display: a redrawn bar with ETA on a terminal, plain lines otherwise.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CliProgress, formatDuration, noteOnFirstStart } from '../../src/engine/progress.js';

function sink(tty: boolean) {
  const chunks: string[] = [];
  let t = 0;
  const p = new CliProgress({ write: (s: string) => chunks.push(s), isTTY: tty }, { now: () => t, mode: tty ? 'bar' : 'lines' });
  return { p, chunks, advance: (ms: number) => (t += ms) };
}

describe('CLI progress', () => {
  it('formats durations', () => {
    assert.equal(formatDuration(0), '0:00');
    assert.equal(formatDuration(75), '1:15');
    assert.equal(formatDuration(3725), '1:02:05');
    assert.equal(formatDuration(NaN), '?');
  });

  it('estimates the time left from the rate since start (resumed steps do not count)', () => {
    const { p, advance } = sink(false);
    p.start('stage1', 100, 40);
    advance(10_000);
    p.update(50);
    assert.equal(p.eta(), 50); // 10 steps in 10 s, 50 to go
    assert.match(p.line(), /^stage1 50\/100 \(50%\) elapsed 0:10 ETA 0:50$/);
  });

  it('a count not known in advance (encode streams its input): the unit, no percentage or ETA, a line every 30 s', () => {
    const { p, chunks, advance } = sink(false);
    p.start('encode', 0, 0, 'lines');
    for (let i = 1; i <= 100; i++) {
      advance(1000);
      p.update(i * 50);
    }
    p.end();
    const lines = chunks.join('').trim().split('\n');
    assert.equal(lines[0], 'encode: 0 lines');
    assert.deepEqual(lines.slice(1), ['encode 1500 elapsed 0:30', 'encode 3000 elapsed 1:00', 'encode 4500 elapsed 1:30']);
    const bar = sink(true);
    bar.p.start('encode', 0, 0, 'lines');
    bar.advance(200);
    bar.p.update(7);
    assert.match(bar.chunks.join(''), /encode 7 0:00$/);
  });

  it('prints plain lines about every 10% when not on a terminal, no carriage returns', () => {
    const { p, chunks, advance } = sink(false);
    p.start('stage2', 100);
    for (let i = 1; i <= 100; i++) {
      advance(100);
      p.update(i, { loss: 1 / i });
    }
    p.note('stage2: done');
    p.end();
    const text = chunks.join('');
    assert.ok(!text.includes('\r'));
    const lines = text.trim().split('\n');
    assert.equal(lines[0], 'stage2: 0/100 steps');
    assert.equal(lines.filter((l) => /^stage2 \d+\/100/.test(l)).length, 10);
    assert.match(lines.at(-2)!, /^stage2 100\/100 \(100%\) elapsed 0:10 ETA 0:00 loss 0\.010$/);
    assert.equal(lines.at(-1), 'stage2: done');
  });

  it('redraws one bar in place on a terminal, at most every 100 ms, with notes above it', () => {
    const { p, chunks, advance } = sink(true);
    p.start('stage1', 10);
    const before = chunks.length;
    p.update(1); // within 100 ms of the start draw: skipped
    assert.equal(chunks.length, before);
    advance(150);
    p.update(2, { loss: 0.5 });
    // eslint-disable-next-line no-control-regex -- the terminal escape (ESC [2K) is what is tested
    assert.match(chunks.at(-1)!, /^\r\x1b\[2Kstage1 \[#####-+\] 2\/10 0:00 ETA 0:01 loss 0\.500$/);
    p.note('hello');
    assert.equal(chunks.at(-2), '\r\x1b[2Khello\n');
    p.end();
    assert.equal(chunks.at(-1), '\n');
  });

  it('prints nothing when disabled (--quiet)', () => {
    const chunks: string[] = [];
    const p = new CliProgress({ write: (s: string) => chunks.push(s) }, { mode: 'none' });
    p.start('x', 3);
    p.update(3);
    p.note('n');
    p.end();
    assert.deepEqual(chunks, []);
  });
});

describe('noteOnFirstStart', () => {
  it('notes the line once, just before the first start, and passes everything else through', () => {
    const out: string[] = [];
    let asked = 0;
    const p = noteOnFirstStart(new CliProgress({ write: (s: string) => out.push(s) }, { mode: 'lines', now: () => 0 }), () => (asked++, 'kernels: test'));
    p.note('checked the inputs');
    assert.equal(asked, 0, 'not before the work starts');
    p.start('stage1', 2);
    p.update(2);
    p.end();
    p.start('stage2', 1);
    assert.equal(asked, 1);
    assert.deepEqual(out, ['checked the inputs\n', 'kernels: test\n', 'stage1: 0/2 steps\n', 'stage1 2/2 (100%) elapsed 0:00 ETA 0:00\n', 'stage2: 0/1 steps\n']);
  });
});
