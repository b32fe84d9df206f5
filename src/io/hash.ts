// Content fingerprints of input files (data files, model weights): a resumed run checks that what
// it reads is byte for byte what the run started from. Streamed in 8 MiB chunks, so a multi-GB
// weights file is never held in memory at once.
import { closeSync, openSync, readSync } from 'node:fs';
import { createHash, type Hash } from 'node:crypto';

export function fileSha1(path: string): string {
  return updateWithFile(createHash('sha1'), path).digest('hex');
}

/** Feed `path`'s bytes into `hash` (which may already hold a prefix, e.g. git's "blob <size>\0"). */
export function updateWithFile(hash: Hash, path: string): Hash {
  const buf = Buffer.allocUnsafe(8 << 20);
  const fd = openSync(path, 'r');
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      hash.update(buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return hash;
}
