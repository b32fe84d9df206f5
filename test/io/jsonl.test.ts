// JSON Lines reading: values with line numbers, malformed lines as `file:line: reason`
// (fail or skip-with-count), blank lines, BOM, CRLF, chunk boundaries inside multi-byte
// characters, over-long lines; and the atomic writer.
import assert from 'node:assert/strict';
import { describe, it, before, after } from 'node:test';
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { JsonlError, JsonlWriter, parseJsonl, readJsonl, readJsonlAll, readJsonlSync, type JsonlRecord } from '../../src/io/jsonl.js';
import { tmp as tempFolder } from '../support/tmp.js';

let tmp: string;
before(() => {
  tmp = tempFolder('adaptext-jsonl-');
});
after(() => rmSync(tmp, { recursive: true, force: true }));

function file(name: string, text: string | Buffer): string {
  const p = join(tmp, name);
  writeFileSync(p, text);
  return p;
}

async function collectAsync(path: string, opts = {}): Promise<JsonlRecord[]> {
  const out: JsonlRecord[] = [];
  for await (const r of readJsonl(path, opts)) out.push(r);
  return out;
}

const readers = {
  sync: async (p: string, o = {}) => [...readJsonlSync(p, o)],
  async: collectAsync,
};

for (const [kind, read] of Object.entries(readers)) {
  describe(`JSON Lines reader (${kind})`, () => {
    it('yields values with 1-based line numbers; skips blank lines; BOM and CRLF accepted; no final newline needed', async () => {
      const p = file(`ok-${kind}.jsonl`, '\ufeff{"text":"a","label":"pos"}\r\n\r\n  \n{"text":"b"}\n{"text":"中文 😀"}');
      const rs = await read(p);
      assert.deepEqual(rs, [
        { value: { text: 'a', label: 'pos' }, line: 1 },
        { value: { text: 'b' }, line: 4 },
        { value: { text: '中文 😀' }, line: 5 },
      ]);
    });

    it('a malformed line fails as file:line: reason', async () => {
      const p = file(`bad-${kind}.jsonl`, '{"text":"a"}\n{"text": "b",}\n{"text":"c"}\n');
      await assert.rejects(read(p), (e: Error) => {
        assert.ok(e instanceof JsonlError);
        assert.equal(e.line, 2);
        assert.equal(e.message, `${p}:2: invalid JSON: Expected double-quoted property name (column 14)`);
        return true;
      });
    });

    it('non-object values are rejected unless objects: false', async () => {
      const p = file(`arr-${kind}.jsonl`, '{"a":1}\n[1,2]\n"str"\n');
      await assert.rejects(read(p), { message: `${p}:2: expected a JSON object, got an array` });
      assert.deepEqual(
        (await read(p, { objects: false })).map((r) => r.value),
        [{ a: 1 }, [1, 2], 'str'],
      );
    });

    it("onError 'skip' skips and reports every malformed line", async () => {
      const p = file(`skip-${kind}.jsonl`, '{"a":1}\n{oops\n{"a":2}\nnull\n');
      const skipped: string[] = [];
      const rs = await read(p, { onError: 'skip', onSkip: (m: string) => skipped.push(m) });
      assert.deepEqual(
        rs.map((r) => r.line),
        [1, 3],
      );
      assert.equal(skipped.length, 2);
      assert.match(skipped[0]!, new RegExp(`^${p.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:2: invalid JSON`));
      assert.equal(skipped[1], `${p}:4: expected a JSON object, got null`);
    });

    it('reads across chunk boundaries (multi-MiB file, multi-byte characters split between reads)', async () => {
      const n = 30000;
      const lines: string[] = [];
      for (let i = 0; i < n; i++) lines.push(JSON.stringify({ i, text: `第${i}条评论 — ünïcödé ${'x'.repeat(i % 97)}` }));
      const p = file(`big-${kind}.jsonl`, lines.join('\n') + '\n');
      assert.ok(readFileSync(p).length > 2 << 20);
      const rs = await read(p);
      assert.equal(rs.length, n);
      for (let i = 0; i < n; i += 997) assert.deepEqual(rs[i], { value: JSON.parse(lines[i]!), line: i + 1 });
    });

    it('an over-long line is reported, not buffered forever', async () => {
      const p = file(`long-${kind}.jsonl`, '{"a":1}\n' + '{"a":"' + 'y'.repeat(5000));
      await assert.rejects(read(p, { maxLineChars: 1000 }), { message: `${p}:2: line longer than 1000 characters (is this really JSON Lines?)` });
    });

    it('missing file and directory are named', async () => {
      await assert.rejects(read(join(tmp, 'missing.jsonl')), { message: `${join(tmp, 'missing.jsonl')}: file not found` });
      await assert.rejects(read(tmp), { message: `${tmp}: is a directory, expected a JSON Lines file` });
    });
  });
}

describe('JSON Lines: summaries, in-memory parsing, writer', () => {
  it('readJsonlAll returns records and a summary', () => {
    const p = file('sum.jsonl', '{"a":1}\n\nnot json\n{"a":2}\n');
    const { records, summary } = readJsonlAll(p, { onError: 'skip' });
    assert.equal(records.length, 2);
    assert.deepEqual(summary, { records: 2, skipped: 1, blank: 1 });
  });

  it('parseJsonl names its source', () => {
    assert.deepEqual([...parseJsonl('{"x":1}\n', 'inline')], [{ value: { x: 1 }, line: 1 }]);
    assert.throws(() => [...parseJsonl('{"x":1}\n{\n', 'inline')], /^JsonlError: inline:2: invalid JSON/);
  });

  it('JsonlWriter publishes on close, leaves the old file on abort', () => {
    const p = join(tmp, 'out.jsonl');
    writeFileSync(p, '{"old":true}\n');
    const w = new JsonlWriter(p);
    w.write({ id: 1, vec: [0.5, -1] });
    w.write({ id: 2, text: 'é' });
    assert.equal(readFileSync(p, 'utf8'), '{"old":true}\n', 'not visible before close');
    w.close();
    assert.equal(readFileSync(p, 'utf8'), '{"id":1,"vec":[0.5,-1]}\n{"id":2,"text":"é"}\n');
    assert.equal(w.lines, 2);
    const w2 = new JsonlWriter(p);
    w2.write({ id: 3 });
    assert.throws(() => w2.write(undefined), /out\.jsonl: line 2: value is not JSON-serialisable/);
    w2.abort();
    assert.equal([...readJsonlSync(p)].length, 2);
    assert.deepEqual(
      readdirSync(tmp).filter((f) => f.startsWith('.')),
      [],
    );
  });
});
