import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdirSync, existsSync, symlinkSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { readDataset, parseDataset } from '../../src/data/readers.js';
import { parseDelimited } from '../../src/data/csv.js';
import { READ_LIMITS } from '../../src/io/read.js';
import type { TaggedExample, TextExample } from '../../src/data/examples.js';
import { tmp } from '../support/tmp.js';

const dir = tmp('adaptext-readers-');
function file(name: string, content: string | Buffer): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}
const SENT = ['negative', 'positive'] as const;

function oneLine(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (e: Error) => {
    assert.match(e.message, re);
    assert.ok(!e.message.includes('\n'), `message must be one line: ${e.message}`);
    return true;
  });
}

test('JSON Lines: text, label, id; blank lines ignored; empty texts skipped and counted', () => {
  const f = file('a.jsonl', [
    '{"id": "r1", "text": "great pan", "label": "positive"}',
    '',
    '{"id": "r2", "text": "   ", "label": "negative"}',
    '{"text": "broke in a week", "label": "negative", "extra": 1}\r',
    '',
  ].join('\n'));
  const d = readDataset(f, { task: 'classification', labels: SENT });
  const ex = d.examples as TextExample[];
  assert.deepEqual(ex.map((e) => [e.text, e.label, e.id, e.where]), [
    ['great pan', 1, 'r1', `${f}:1`],
    ['broke in a week', 0, null, `${f}:4`],
  ]);
  assert.deepEqual(d.labels, ['negative', 'positive']);
  assert.deepEqual({ ...d.stats, file: '' }, {
    file: '', format: 'jsonl', records: 3, examples: 2, skippedEmpty: 1, skippedMalformed: 0, errors: [],
  });
});

test('JSON Lines: a malformed line fails with file:line by default, or is skipped and counted', () => {
  const content = [
    '{"text": "ok", "label": "positive"}',
    '{"text": "cut off", "label": "posi',
    '["not", "an", "object"]',
    '{"label": "positive"}',
    '{"text": 42, "label": "positive"}',
    '{"text": "no label"}',
    '{"text": "fine", "label": "negative"}',
  ].join('\n');
  const f = file('bad.jsonl', content);
  oneLine(() => readDataset(f, { task: 'classification', labels: SENT }), new RegExp(`^${f.replace(/[.]/g, '\\.')}:2: invalid JSON \\(`));
  const d = readDataset(f, { task: 'classification', labels: SENT, onMalformed: 'skip' });
  assert.equal(d.examples.length, 2);
  assert.equal(d.stats.skippedMalformed, 5);
  assert.deepEqual(d.stats.errors.map((m) => m.slice(f.length + 1)), [
    d.stats.errors[0]!.slice(f.length + 1), // JSON.parse wording varies by Node version
    '3: expected a JSON object, got array',
    '4: missing field "text"',
    '5: field "text" must be a string, got number',
    '6: missing field "label"',
  ]);
  assert.match(d.stats.errors[0]!, /:2: invalid JSON/);
});

test('unknown label names the file, line, label and the expected set', () => {
  const f = file('unk.jsonl', '{"text": "a", "label": "positive"}\n{"text": "b", "label": "neutral"}\n');
  oneLine(() => readDataset(f, { task: 'classification', labels: SENT }),
    new RegExp(`^${f.replace(/[.]/g, '\\.')}:2: unknown label "neutral" \\(expected one of negative, positive\\)$`));
  const d = readDataset(f, { task: 'classification', labels: SENT, onMalformed: 'skip' });
  assert.equal(d.stats.skippedMalformed, 1);
});

test('labels: inferred (sorted) when no set is given; numbers match by their string form', () => {
  const f = file('num.jsonl', '{"text": "a", "label": 1}\n{"text": "b", "label": 0}\n{"text": "c", "label": "1"}\n');
  const d = readDataset(f, { task: 'classification' });
  assert.deepEqual(d.labels, ['0', '1']);
  assert.deepEqual((d.examples as TextExample[]).map((e) => e.label), [1, 0, 1]);
  const g = readDataset(f, { task: 'classification', labels: ['1', '0'] });
  assert.deepEqual((g.examples as TextExample[]).map((e) => e.label), [0, 1, 0]);
  oneLine(() => readDataset(f, { task: 'classification', labels: ['a', 'a'] }), /label "a" appears twice in the label set/);
});

test('missing file, directory, empty file, all-empty file and unknown extension give one-line errors', () => {
  oneLine(() => readDataset(join(dir, 'nope.jsonl'), { task: 'unlabelled' }), /nope\.jsonl: no such data file$/);
  const sub = join(dir, 'sub.jsonl');
  mkdirSync(sub, { recursive: true });
  oneLine(() => readDataset(sub, { task: 'unlabelled' }), /sub\.jsonl: is a folder, not a data file$/);
  const empty = file('empty.jsonl', '');
  oneLine(() => readDataset(empty, { task: 'classification', labels: SENT }), /empty\.jsonl: no usable examples: the file has no records$/);
  assert.equal(readDataset(empty, { task: 'unlabelled', allowEmpty: true }).examples.length, 0);
  const blanks = file('blanks.jsonl', '{"text": ""}\n{"text": " "}\n');
  oneLine(() => readDataset(blanks, { task: 'unlabelled' }), /no usable examples: all 2 records were skipped \(2 empty, 0 malformed\)/);
  oneLine(() => readDataset(file('x.parquet', 'x'), { task: 'unlabelled' }), /cannot tell the format/);
  oneLine(() => readDataset(file('bad.jsonl.gz', 'not gzip'), { task: 'unlabelled' }), /bad\.jsonl\.gz: not a valid gzip file/);
});

test('gzip-compressed JSON Lines are read transparently', () => {
  const f = file('c.jsonl.gz', gzipSync('{"text": "hello"}\n{"text": "world"}\n'));
  const d = readDataset(f, { task: 'unlabelled' });
  assert.deepEqual((d.examples as TextExample[]).map((e) => [e.text, e.label]), [['hello', null], ['world', null]]);
});

test('RFC 4180 CSV: quoted delimiters, doubled quotes, embedded newlines, CRLF; line numbers stay right', () => {
  const csv = 'id,text,label\r\n' +
    '1,"Good, solid ""pan""",positive\r\n' +
    '2,"two\r\nline review",negative\r\n' +
    '3,plain text with a "quote" inside,positive\r\n' +
    '4,"",negative\r\n' +
    '5,last,negative';
  const f = file('r.csv', csv);
  const d = readDataset(f, { task: 'classification', labels: SENT });
  const ex = d.examples as TextExample[];
  assert.deepEqual(ex.map((e) => [e.id, e.text, e.label, e.where.slice(f.length + 1)]), [
    ['1', 'Good, solid "pan"', 1, '2'],
    ['2', 'two\r\nline review', 0, '3'],
    ['3', 'plain text with a "quote" inside', 1, '5'],
    ['5', 'last', 0, '7'],
  ]);
  assert.equal(d.stats.skippedEmpty, 1);
});

test('CSV errors: text after a closing quote, wrong field count, unterminated quote, missing column', () => {
  const f = file('bad.csv', 'text,label\n"ok",positive\n"bad"x,positive\nonly one field\nfine,negative\n"never closed,positive\nlost,negative\n');
  oneLine(() => readDataset(f, { task: 'classification', labels: SENT }),
    new RegExp(`:3: unexpected "x" after a closing quote`));
  const d = readDataset(f, { task: 'classification', labels: SENT, onMalformed: 'skip' });
  assert.deepEqual((d.examples as TextExample[]).map((e) => e.text), ['ok', 'fine']);
  assert.deepEqual(d.stats.errors.map((m) => m.slice(f.length + 1)), [
    '3: unexpected "x" after a closing quote (a quote inside a quoted field must be doubled)',
    '4: expected 2 fields (as in the header), found 1',
    '6: unterminated quoted field (a quote opened here is never closed)',
  ]);
  oneLine(() => readDataset(f, { task: 'classification', labels: SENT, textField: 'review' }),
    /bad\.csv:1: no column "review" in the header \(columns: text, label\)/);
});

test('non-regular files are refused in one line, a gzip bomb before it is inflated, standard input is read as a stream (issue 13 item 5)', () => {
  if (existsSync('/dev/zero')) {
    oneLine(() => readDataset('/dev/zero', { task: 'unlabelled' }), /^\/dev\/zero: is a character device, not a data file$/);
    const link = join(dir, 'zero.jsonl');
    symlinkSync('/dev/zero', link);
    oneLine(() => readDataset(link, { task: 'unlabelled' }), /zero\.jsonl: is a character device, not a data file$/);
  }
  const fifo = join(dir, 'pipe.jsonl');
  if (spawnSync('mkfifo', [fifo]).status === 0) oneLine(() => readDataset(fifo, { task: 'unlabelled' }), /pipe\.jsonl: is a named pipe \(FIFO\), not a data file$/);
  // 1 GiB of zeros compresses to ~1 MB: refused at the bound, long before it is all in memory
  const bomb = join(dir, 'bomb.jsonl.gz');
  writeFileSync(bomb, gzipSync(Buffer.alloc(READ_LIMITS.text + 1)));
  oneLine(() => readDataset(bomb, { task: 'unlabelled' }), /bomb\.jsonl\.gz: decompresses to more than 512 MiB, the limit for data files; refusing it$/);
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', `import { readInputText } from './src/io/read.ts'; process.stdout.write(readInputText('-', 'input', 100).toUpperCase())`], { input: 'piped text', encoding: 'utf8' });
  assert.equal(r.stdout, 'PIPED TEXT', r.stderr);
  const big = spawnSync(process.execPath, ['--import', 'tsx', '-e', `import { readInputText } from './src/io/read.ts'; readInputText('/dev/stdin', 'input', 4)`], { input: 'too long', encoding: 'utf8' });
  assert.match(big.stderr, /standard input \(input\): more than 4 bytes; split it into smaller files/);
});

test('invalid UTF-8 is never replaced silently: fail names the line, skip counts it, replace counts it (issue 13 item 14)', () => {
  const f = join(dir, 'latin1.jsonl');
  writeFileSync(f, Buffer.concat([Buffer.from('{"text": "fine"}\n{"text": "caf'), Buffer.from([0xe9]), Buffer.from('"}\n{"text": "ok"}\n')]));
  oneLine(() => readDataset(f, { task: 'unlabelled' }), /latin1\.jsonl:2: invalid UTF-8; convert the file to UTF-8, or set reader\.on_malformed to skip or replace$/);
  const s = readDataset(f, { task: 'unlabelled', onMalformed: 'skip' });
  assert.deepEqual((s.examples as TextExample[]).map((e) => e.text), ['fine', 'ok']);
  assert.equal(s.stats.skippedMalformed, 1);
  assert.deepEqual(s.stats.errors, [`${f}:2: invalid UTF-8`]);
  const r = readDataset(f, { task: 'unlabelled', onMalformed: 'replace' });
  assert.deepEqual((r.examples as TextExample[]).map((e) => e.text), ['fine', 'caf\ufffd', 'ok']);
  assert.equal(r.stats.invalidUtf8Lines, 1);
});

test('CSV: a column the reader needs that appears twice in the header is refused, not guessed', () => {
  const f = file('dup.csv', 'text,label,text\nfirst,positive,second\n');
  oneLine(() => readDataset(f, { task: 'classification', labels: SENT }), /dup\.csv:1: column "text" appears more than once in the header \(columns 1 and 3\); rename one/);
  // a duplicated column nobody reads is harmless
  const g = file('dup-unused.csv', 'note,text,label,note\nx,fine,positive,y\n');
  assert.deepEqual((readDataset(g, { task: 'classification', labels: SENT }).examples as TextExample[]).map((e) => e.text), ['fine']);
});

test('CSV without a header uses column numbers; TSV splits on tabs and keeps quotes literally', () => {
  const f = file('nh.csv', 'positive,"a, b"\nnegative,c\n');
  const d = readDataset(f, { task: 'classification', labels: SENT, header: false, textField: '1', labelField: '0' });
  assert.deepEqual((d.examples as TextExample[]).map((e) => [e.text, e.label]), [['a, b', 1], ['c', 0]]);
  const t = file('t.tsv', 'label\ttext\npositive\tshe said "wow\nnegative\tmeh, ok\n');
  const e = readDataset(t, { task: 'classification', labels: SENT });
  assert.deepEqual((e.examples as TextExample[]).map((x) => [x.text, x.label]), [['she said "wow', 1], ['meh, ok', 0]]);
});

test('parseDelimited handles trailing delimiters, blank lines and a final line without newline', () => {
  const r = parseDelimited('a,b,\n\n"x\ny",z', { delimiter: ',', quote: '"' });
  assert.deepEqual(r, [{ line: 1, fields: ['a', 'b', ''] }, { line: 3, fields: ['x\ny', 'z'] }]);
});

test('token classification from JSON Lines {tokens, tags}', () => {
  const tags = ['O', 'B-LOC', 'I-LOC'];
  const f = file('ner.jsonl', [
    '{"tokens": ["Fly", "to", "New", "York"], "tags": ["O", "O", "B-LOC", "I-LOC"]}',
    '{"tokens": [], "tags": []}',
    '{"tokens": ["a", "b"], "tags": ["O"]}',
    '{"tokens": ["Paris"], "tags": ["B-CITY"]}',
  ].join('\n'));
  oneLine(() => readDataset(f, { task: 'token-classification', labels: tags }), /ner\.jsonl:3: 2 tokens but 1 tags/);
  const d = readDataset(f, { task: 'token-classification', labels: tags, onMalformed: 'skip' });
  const ex = d.examples as TaggedExample[];
  assert.deepEqual(ex.map((e) => [e.words, e.tags]), [[['Fly', 'to', 'New', 'York'], [0, 0, 1, 2]]]);
  assert.equal(d.stats.skippedEmpty, 1);
  assert.match(d.stats.errors[1]!, /:4: unknown tag "B-CITY" \(expected one of O, B-LOC, I-LOC\)/);
});

test('token classification from CoNLL columns (first column token, last column tag)', () => {
  const f = file('n.conll', [
    '-DOCSTART- -X- -X- O', '',
    'EU NNP B-NP B-ORG', 'rejects VBZ B-VP O', 'German JJ B-NP B-MISC', '',
    '', 'Peter B-PER', 'Blackburn I-PER', '',
    'broken', 'line O', '',
    'Last O',
  ].join('\n'));
  const opts = { task: 'token-classification' as const, labels: ['O', 'B-ORG', 'B-MISC', 'B-PER', 'I-PER'] };
  oneLine(() => readDataset(f, opts), /n\.conll:11: expected "token tag" columns, found 1 column \(sentence starting at line 11 skipped\)/);
  const d = readDataset(f, { ...opts, onMalformed: 'skip' });
  const ex = d.examples as TaggedExample[];
  assert.deepEqual(ex.map((e) => [e.words.join(' '), e.tags, e.where.slice(f.length + 1)]), [
    ['EU rejects German', [1, 0, 2], '3'],
    ['Peter Blackburn', [3, 4], '8'],
    ['Last', [0], '14'],
  ]);
  assert.equal(d.stats.records, 4);
});

test('task/format mismatches are refused with a reason', () => {
  oneLine(() => parseDataset('a,b', 'x.csv', { task: 'token-classification' }), /token classification reads JSON Lines/);
  oneLine(() => parseDataset('a O', 'x.conll', { task: 'classification' }), /CoNLL files hold token-classification data/);
  oneLine(() => parseDataset('hi', 'x.txt', { task: 'classification' }), /a \.txt file has no labels/);
  const d = parseDataset('line one\n\nline two\n', 'corpus.txt', { task: 'unlabelled' });
  assert.deepEqual((d.examples as TextExample[]).map((e) => e.text), ['line one', 'line two']);
});

const bundled = new URL('../../data/amazon/kitchen.labeled.jsonl.gz', import.meta.url);
test('reads the bundled Amazon kitchen reviews (real data): counts match the dataset README', () => {
  assert.ok(existsSync(bundled), `${bundled.pathname} is tracked in git and must be present`);
  const d = readDataset(bundled.pathname, { task: 'classification', labels: SENT });
  assert.equal(d.examples.length, 1977);
  assert.equal((d.examples as TextExample[]).filter((e) => e.label === 1).length, 996);
  assert.equal(d.stats.skippedEmpty + d.stats.skippedMalformed, 0);
  assert.match((d.examples[0] as TextExample).id!, /^amazon-kitchen-pos-0+$/);
});
