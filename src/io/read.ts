// Reading a file a user named (data, corpus, config, tokenizer): one bounded way for every reader.
// A non-regular file is refused (a FIFO would hang, `/dev/zero` — or a symlink to it — would grow
// memory until the process is killed), except standard input (`-` or /dev/stdin), which is read
// as a stream so Unix pipes work. Every read has a size bound with a clear error, and a `.gz` file
// is refused as soon as it decompresses past the bound (a gzip bomb never reaches it).
import { readFileSync, readSync, statSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

/** Size bounds: V8 strings hold at most ~512 M characters, so text inputs cannot be larger anyway. */
export const READ_LIMITS = {
  /** data files and pretraining corpora (decompressed) */
  text: 512 * 2 ** 20,
  /** tokenizer.json, vocab.txt, merges.txt, index files */
  tokenizer: 256 * 2 ** 20,
  /** config.json, pipeline configs, run.json, trainer states */
  config: 64 * 2 ** 20,
} as const;

const mib = (n: number): string => (n >= 2 ** 20 ? `${Math.round(n / 2 ** 20)} MiB` : `${n} bytes`);

export function isStdin(path: string): boolean {
  return path === '-' || path === '/dev/stdin';
}

function kindOf(s: import('node:fs').Stats): string {
  if (s.isDirectory()) return 'a folder';
  if (s.isFIFO()) return 'a named pipe (FIFO)';
  if (s.isCharacterDevice()) return 'a character device';
  if (s.isBlockDevice()) return 'a block device';
  if (s.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** fd 0 read to its end: a pipe, a file or a terminal alike (readFileSync('/dev/stdin') fails with ESPIPE on some). */
function readStdin(what: string, limit: number): Buffer {
  const parts: Buffer[] = [];
  let total = 0;
  const buf = Buffer.allocUnsafe(1 << 20);
  for (;;) {
    let n: number;
    try {
      n = readSync(0, buf, 0, buf.length, null);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') continue; // non-blocking stdin with no data yet
      if (code === 'EOF') break;
      throw new Error(`standard input (${what}): cannot read (${code ?? (e as Error).message})`, { cause: e });
    }
    if (n === 0) break;
    total += n;
    if (total > limit) throw new Error(`standard input (${what}): more than ${mib(limit)}; split it into smaller files`);
    parts.push(Buffer.from(buf.subarray(0, n)));
  }
  return Buffer.concat(parts);
}

/**
 * The bytes of `path` (decompressed when it ends in .gz), or a one-line error naming the path:
 * missing, not a regular file, or larger than `limit` bytes.
 */
export function readInputFile(path: string, what: string, limit: number): Buffer {
  if (isStdin(path)) return readStdin(what, limit);
  let st;
  try {
    st = statSync(path); // follows symlinks: a link to /dev/zero is a character device
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(`${path}: ${code === 'ENOENT' ? `no such ${what} file` : code === 'EACCES' ? 'permission denied' : `cannot read (${code ?? (e as Error).message})`}`, { cause: e });
  }
  if (!st.isFile()) throw new Error(`${path}: is ${kindOf(st)}, not a ${what} file`);
  const gz = path.toLowerCase().endsWith('.gz');
  if (!gz && st.size > limit) throw new Error(`${path}: ${mib(st.size)}, above the ${mib(limit)} limit for ${what} files; split it into smaller files`);
  let raw: Buffer;
  try {
    raw = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(`${path}: ${code === 'EACCES' ? 'permission denied' : `cannot read (${code ?? (e as Error).message})`}`, { cause: e });
  }
  if (!gz) return raw;
  try {
    return gunzipSync(raw, { maxOutputLength: limit });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ERR_BUFFER_TOO_LARGE') throw new Error(`${path}: decompresses to more than ${mib(limit)}, the limit for ${what} files; refusing it`, { cause: e });
    throw new Error(`${path}: not a valid gzip file (${(e as Error).message})`, { cause: e });
  }
}

/** `readInputFile` as UTF-8 text. */
export function readInputText(path: string, what: string, limit: number): string {
  return readInputFile(path, what, limit).toString('utf8');
}
