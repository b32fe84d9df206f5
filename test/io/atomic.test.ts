// Atomic writes: a writer that throws midway leaves the old file/folder exactly as it was
// and no temp litter; crash leftovers are repaired by recoverDir.
import assert from 'node:assert/strict';
import { describe, it, before, after } from 'node:test';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, chmodSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { recoverDir, writeDirAtomic, writeDirAtomicAsync, writeFileAtomic, writeJsonAtomic } from '../../src/io/atomic.js';
import { writeSafetensors, readSafetensors } from '../../src/io/safetensors.js';
import { tmp as tempFolder } from '../support/tmp.js';

let tmp: string;
before(() => {
  tmp = tempFolder('adaptext-atomic-');
});
after(() => rmSync(tmp, { recursive: true, force: true }));

const hidden = (dir: string) => readdirSync(dir).filter((f) => f.startsWith('.'));

describe('writeFileAtomic', () => {
  it('writes strings, bytes and chunk iterables; replaces an existing file', () => {
    const p = join(tmp, 'a.txt');
    writeFileAtomic(p, 'one');
    assert.equal(readFileSync(p, 'utf8'), 'one');
    writeFileAtomic(p, new Uint8Array([0x74, 0x77, 0x6f]));
    assert.equal(readFileSync(p, 'utf8'), 'two');
    writeFileAtomic(p, ['th', new Uint8Array([0x72]), 'ee']);
    assert.equal(readFileSync(p, 'utf8'), 'three');
    assert.deepEqual(hidden(tmp), []);
  });

  it('leaves the old file intact when the writer throws midway', () => {
    const p = join(tmp, 'b.bin');
    writeFileAtomic(p, 'precious old content');
    function* chunks() {
      yield new Uint8Array(1 << 20).fill(1); // 1 MiB reaches the temp file before the failure
      throw new Error('disk full (simulated)');
    }
    assert.throws(() => writeFileAtomic(p, chunks()), /disk full \(simulated\)/);
    assert.equal(readFileSync(p, 'utf8'), 'precious old content');
    assert.deepEqual(hidden(tmp), [], 'temp file removed');
  });

  it('keeps the permission bits of the file it replaces', () => {
    const p = join(tmp, 'mode.sh');
    writeFileSync(p, 'x');
    chmodSync(p, 0o751);
    writeFileAtomic(p, 'y');
    assert.equal(statSync(p).mode & 0o777, 0o751);
  });

  it('names a missing parent directory', () => {
    assert.throws(() => writeFileAtomic(join(tmp, 'no', 'such', 'f'), 'x'), /directory .*no\/such does not exist/);
  });

  it('writeJsonAtomic writes indented JSON with a trailing newline, refuses undefined', () => {
    const p = join(tmp, 'c.json');
    writeJsonAtomic(p, { a: [1, 2] });
    assert.equal(readFileSync(p, 'utf8'), '{\n  "a": [\n    1,\n    2\n  ]\n}\n');
    assert.throws(() => writeJsonAtomic(p, undefined), /not JSON-serialisable/);
  });

  it('a safetensors write whose input fails keeps the previous checkpoint readable', () => {
    const p = join(tmp, 'model.safetensors');
    writeSafetensors(p, [{ name: 'w', shape: [2], data: Float32Array.from([1, 2]) }]);
    const bad = {
      *[Symbol.iterator]() {
        yield { name: 'w', shape: [2], data: Float32Array.from([3, 4]) };
        throw new Error('producer failed');
      },
    };
    assert.throws(() => writeSafetensors(p, bad), /producer failed/);
    assert.deepEqual(Array.from(readSafetensors(p).get('w')!.data), [1, 2]);
  });
});

describe('writeDirAtomic', () => {
  it('creates a new folder (and missing parents)', () => {
    const d = join(tmp, 'runs', 'r1', 'stage1');
    writeDirAtomic(d, (t) => {
      writeFileSync(join(t, 'config.json'), '{}');
      mkdirSync(join(t, 'sub'));
      writeFileSync(join(t, 'sub', 'x'), 'x');
    });
    assert.deepEqual(readdirSync(d).sort(), ['config.json', 'sub']);
    assert.deepEqual(hidden(join(tmp, 'runs', 'r1')), []);
  });

  it('replaces an existing folder completely (no stale files survive)', () => {
    const d = join(tmp, 'ckpt');
    writeDirAtomic(d, (t) => {
      writeFileSync(join(t, 'old-only'), '1');
      writeFileSync(join(t, 'weights'), 'v1');
    });
    writeDirAtomic(d, (t) => writeFileSync(join(t, 'weights'), 'v2'));
    assert.deepEqual(readdirSync(d), ['weights']);
    assert.equal(readFileSync(join(d, 'weights'), 'utf8'), 'v2');
    assert.deepEqual(hidden(tmp), []);
  });

  it('leaves the old folder intact when the builder throws midway', () => {
    const d = join(tmp, 'keep');
    writeDirAtomic(d, (t) => writeFileSync(join(t, 'weights'), 'good'));
    assert.throws(
      () =>
        writeDirAtomic(d, (t) => {
          writeFileSync(join(t, 'weights'), 'half');
          throw new Error('crashed while writing optimizer state');
        }),
      /crashed while writing optimizer state/,
    );
    assert.deepEqual(readdirSync(d), ['weights']);
    assert.equal(readFileSync(join(d, 'weights'), 'utf8'), 'good');
    assert.deepEqual(hidden(tmp), []);
  });

  it('async builders: success replaces, failure keeps the old folder', async () => {
    const d = join(tmp, 'async');
    await writeDirAtomicAsync(d, async (t) => writeFileSync(join(t, 'f'), 'a'));
    await assert.rejects(
      writeDirAtomicAsync(d, async (t) => {
        writeFileSync(join(t, 'f'), 'b');
        await new Promise((r) => setTimeout(r, 5));
        throw new Error('async failure');
      }),
      /async failure/,
    );
    assert.equal(readFileSync(join(d, 'f'), 'utf8'), 'a');
    assert.throws(() => writeDirAtomic(d, (async () => {}) as unknown as (t: string) => void), /use writeDirAtomicAsync/);
    assert.equal(readFileSync(join(d, 'f'), 'utf8'), 'a');
  });

  it('refuses to replace a file with a folder', () => {
    const f = join(tmp, 'plain-file');
    writeFileSync(f, 'x');
    assert.throws(() => writeDirAtomic(f, () => {}), /exists and is not a directory/);
    assert.equal(readFileSync(f, 'utf8'), 'x');
  });

  it('a process killed (SIGKILL) while building leaves the old folder; recoverDir removes its leftovers', () => {
    const d = join(tmp, 'killed');
    writeDirAtomic(d, (t) => writeFileSync(join(t, 'weights'), 'v1'));
    const script =
      `import { writeDirAtomic } from ${JSON.stringify(join(process.cwd(), 'src/io/atomic.ts'))};\n` +
      `import { writeFileSync } from 'node:fs';\n` +
      `writeDirAtomic(${JSON.stringify(d)}, (t) => { writeFileSync(t + '/weights', 'half'); process.kill(process.pid, 'SIGKILL'); });`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.equal(r.signal, 'SIGKILL', r.stderr);
    assert.equal(readFileSync(join(d, 'weights'), 'utf8'), 'v1');
    assert.equal(hidden(tmp).filter((f) => f.startsWith('.killed.tmp-')).length, 1, 'the killed writer left its temp folder');
    assert.equal(recoverDir(d).length, 1);
    assert.deepEqual(
      hidden(tmp).filter((f) => f.startsWith('.killed')),
      [],
    );
    assert.equal(readFileSync(join(d, 'weights'), 'utf8'), 'v1');
  });

  it('recoverDir restores a folder a crash left renamed aside, and removes half-built ones', () => {
    // Simulate a process (pid that is certainly dead) that crashed between the two renames.
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    const parent = join(tmp, 'crash');
    mkdirSync(parent);
    mkdirSync(join(parent, `.best.old-${dead}-abcd1234`));
    writeFileSync(join(parent, `.best.old-${dead}-abcd1234`, 'weights'), 'complete old');
    mkdirSync(join(parent, `.best.tmp-${dead}-00ff00ff`));
    writeFileSync(join(parent, `.best.tmp-${dead}-00ff00ff`, 'weights'), 'maybe half');
    // A live writer's temp folder (our own pid) must not be touched.
    mkdirSync(join(parent, `.best.tmp-${process.pid}-11111111`));
    const actions = recoverDir(join(parent, 'best'));
    assert.equal(actions.length, 2, actions.join('; '));
    assert.match(actions[0]!, /restored/);
    assert.equal(readFileSync(join(parent, 'best', 'weights'), 'utf8'), 'complete old');
    assert.deepEqual(hidden(parent), [`.best.tmp-${process.pid}-11111111`]);
    assert.deepEqual(recoverDir(join(parent, 'best')), []);
    assert.ok(existsSync(join(parent, 'best')));
  });
});

describe("write errors name the user's path (issue 13 item 11)", () => {
  it('a folder given as the output file, and a device that is full', () => {
    const d = join(tmp, 'a-folder');
    mkdirSync(d);
    assert.throws(() => writeFileAtomic(d, 'x'), new RegExp(`^Error: ${d}: is a folder; give a file path$`));
    assert.deepEqual(readdirSync(d), []);
    // stdout on a full device: one line and exit 1, not a stack trace
    if (existsSync('/dev/full')) {
      const r = spawnSync(
        process.execPath,
        ['--import', 'tsx', '--input-type=module', '-e', "const { main } = await import('./src/cli/main.ts'); process.exitCode = await main(process.argv.slice(1));", 'train', '--help'],
        {
          stdio: ['ignore', openSync('/dev/full', 'w'), 'pipe'],
          encoding: 'utf8',
        },
      );
      assert.equal(r.status, 1);
      assert.equal(r.stderr, 'adaptext: cannot write to standard output (ENOSPC: no space left on device)\n');
    }
  });
});
