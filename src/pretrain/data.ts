// Corpus → packed token stream, with a token cache so a resumed or repeated run does not
// re-tokenise tens of megabytes. The cache is keyed by the input files (path, size, mtime),
// the text field and a hash of the vocabulary; anything else changed → re-tokenise. The cache
// only saves time: tokenisation is deterministic, so a missing cache gives the same stream.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from '../io/atomic.js';
import type { Tokenizer } from '../text/index.js';
import { readRecords } from './corpus.js';
import { buildMarks, buildStream } from './packing.js';
import { tokeniseWithMarks } from '../text/whole-words.js';

export function vocabHash(tok: Tokenizer): string {
  const h = createHash('sha1');
  for (let i = 0; i < tok.vocabSize; i++) h.update(`${tok.idToToken(i) ?? ''}\n`);
  return h.digest('hex');
}

function fileKeys(files: readonly string[]): Array<{ path: string; size: number; mtimeMs: number }> {
  return files.map((f) => {
    const s = statSync(f);
    return { path: f, size: s.size, mtimeMs: Math.round(s.mtimeMs) };
  });
}

/** Content token ids of one record (no specials). */
export function tokeniseRecord(tok: Tokenizer, text: string): number[] {
  return tok.encode(text, { addSpecialTokens: false }).ids;
}

export interface StreamInfo {
  tokens: number;
  records: number;
  cached: boolean;
}

/**
 * Tokenise every record of `files` (in order) into one [SEP]-joined stream. With `cacheDir`,
 * reuses `<cacheDir>/<name>.tokens` when its key matches.
 */
export function loadStream(
  files: readonly string[],
  tok: Tokenizer,
  opts: { textField: string; cacheDir?: string; name: string; onFile?: (file: string, records: number) => void; wholeWordMarks?: boolean },
): { stream: Int32Array; cont?: Uint8Array; info: StreamInfo } {
  const key = JSON.stringify({ v: 1, files: fileKeys(files), textField: opts.textField, vocab: vocabHash(tok) });
  // Whole-word marks are not cached (the cache holds ids only): a marked run re-tokenises, a one-off cost.
  const marked = opts.wholeWordMarks === true;
  const cacheDir = marked ? undefined : opts.cacheDir;
  const bin = cacheDir !== undefined ? join(cacheDir, `${opts.name}.tokens`) : null;
  const meta = cacheDir !== undefined ? join(cacheDir, `${opts.name}.json`) : null;
  if (bin !== null && meta !== null && existsSync(bin) && existsSync(meta)) {
    try {
      const m = JSON.parse(readFileSync(meta, 'utf8')) as { key: string; tokens: number; records: number };
      if (m.key === key) {
        const buf = readFileSync(bin);
        if (buf.byteLength === m.tokens * 4) {
          const stream = new Int32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
          return { stream, info: { tokens: stream.length, records: m.records, cached: true } };
        }
      }
    } catch {
      // unreadable cache: rebuild it below
    }
  }
  const sep = tok.specialIds.sep;
  const perFile: number[][] = [];
  const marks: Uint8Array[] = [];
  for (const f of files) {
    const recs = readRecords(f, opts.textField);
    for (const r of recs) {
      if (!marked) {
        perFile.push(tokeniseRecord(tok, r));
        continue;
      }
      const t = tokeniseWithMarks(tok, r);
      perFile.push(t.ids);
      marks.push(t.cont);
    }
    opts.onFile?.(f, recs.length);
  }
  const { stream, records } = buildStream(perFile, sep);
  if (bin !== null && meta !== null) {
    writeFileAtomic(bin, new Uint8Array(stream.buffer, stream.byteOffset, stream.byteLength));
    writeJsonAtomic(meta, { key, tokens: stream.length, records });
  }
  return { stream, ...(marked ? { cont: buildMarks(marks) } : {}), info: { tokens: stream.length, records, cached: false } };
}
