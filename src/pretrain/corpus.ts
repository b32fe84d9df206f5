// Pretraining corpora: file lists from paths/globs, and the text records they hold.
//   *.jsonl / *.json  one JSON object per line, the text in `textField` (default `text`);
//   anything else     plain text: one record per non-empty line (a sentence or paragraph).
// A trailing `.gz` is decompressed transparently. Records keep file order: packing joins
// neighbouring records, so a sequence holds contiguous text of one document where it can.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { READ_LIMITS, readInputText } from '../io/read.js';

/** `*` and `?` in the last path component (and in any directory component) expand; `**` is not supported. */
export function expandInputs(patterns: readonly string[], what = 'input'): string[] {
  const out: string[] = [];
  for (const p of patterns) {
    const files = /[*?]/.test(p) ? globFiles(p) : [p];
    if (files.length === 0) throw new Error(`${what} '${p}': no file matches`);
    for (const f of files) {
      if (!existsSync(f)) throw new Error(`${what} '${f}': no such file`);
      if (!statSync(f).isFile()) throw new Error(`${what} '${f}': is not a file`);
      out.push(resolve(f));
    }
  }
  return [...new Set(out)];
}

function globToRe(glob: string): RegExp {
  const esc = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '[^/]*')
    .replace(/\?/g, '[^/]');
  return new RegExp(`^${esc}$`);
}

function globFiles(pattern: string): string[] {
  if (pattern.includes('**')) throw new Error(`input '${pattern}': '**' globs are not supported (list the folders, e.g. dir/*.jsonl)`);
  const dir = dirname(pattern);
  const dirs = /[*?]/.test(dir) ? globFiles(dir).filter((d) => statSync(d).isDirectory()) : [dir];
  const re = globToRe(basename(pattern));
  const out: string[] = [];
  for (const d of dirs) {
    if (!existsSync(d) || !statSync(d).isDirectory()) continue;
    for (const name of readdirSync(d).sort()) if (re.test(name)) out.push(join(d, name));
  }
  return out;
}

/** The file's text, gunzipped when it ends in `.gz`. */
export function readText(file: string): string {
  let text = readInputText(file, 'corpus', READ_LIMITS.text);
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return text;
}

export function isJsonLines(file: string): boolean {
  return /\.jsonl?(\.gz)?$/i.test(file);
}

/**
 * The text records of one file. JSON Lines: malformed lines and lines without a string
 * `textField` fail with `file:line: reason`; empty texts are skipped.
 */
export function readRecords(file: string, textField = 'text'): string[] {
  const text = readText(file);
  const lines = text.split(/\r?\n/);
  const out: string[] = [];
  const json = isJsonLines(file);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim().length === 0) continue;
    if (!json) {
      out.push(line.trim());
      continue;
    }
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch (e) {
      throw new Error(`${file}:${i + 1}: invalid JSON (${(e as Error).message})`, { cause: e });
    }
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw new Error(`${file}:${i + 1}: expected a JSON object`);
    const t = (obj as Record<string, unknown>)[textField];
    if (typeof t !== 'string') throw new Error(`${file}:${i + 1}: field '${textField}' is ${t === undefined ? 'missing' : `a ${typeof t}, not a string`}`);
    if (t.trim().length > 0) out.push(t);
  }
  return out;
}
