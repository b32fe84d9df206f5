// Reading and writing the Hugging Face tokenizer file formats (vocab.txt, vocab.json,
// merges.txt, tokenizer.json, tokenizer_config.json) with one-line errors that name the file.

import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { READ_LIMITS, readInputText } from '../io/read.js';

/** vocab.txt: one token per line, id = line number. Split on '\n' only: the Chinese vocab
 * contains U+2028 as a token, and splitting on every Unicode line break would shift ids. */
export function parseVocabTxt(text: string): string[] {
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

export function formatVocabTxt(idToToken: readonly (string | undefined)[], file: string): string {
  const out: string[] = [];
  for (let i = 0; i < idToToken.length; i++) {
    const t = idToToken[i];
    if (t === undefined) throw new Error(`${file}: cannot write vocab.txt, id ${i} has no token (ids must be contiguous)`);
    if (t.includes('\n')) throw new Error(`${file}: cannot write vocab.txt, token ${i} contains a newline`);
    out.push(t);
  }
  return out.join('\n') + '\n';
}

/** A JSON object literal with keys in the given order (JS objects reorder integer-like keys such as "0"). */
export function orderedJsonObject(entries: Iterable<[string, number]>, indent = ''): string {
  const parts: string[] = [];
  for (const [k, v] of entries) parts.push(`${indent}${JSON.stringify(k)}: ${v}`);
  if (indent === '') return `{${parts.join(', ')}}`;
  return `{\n${parts.join(',\n')}\n}`;
}

/** Entries of a JSON object parsed from text, keeping every key (incl. "__proto__"). */
export function objectEntries(o: unknown, file: string, field: string): [string, unknown][] {
  if (o === null || typeof o !== 'object' || Array.isArray(o)) throw new Error(`${file}: ${field} must be a JSON object`);
  return Object.entries(o as Record<string, unknown>);
}

export function readText(file: string): string {
  return readInputText(file, 'tokenizer', READ_LIMITS.tokenizer);
}

/** JSON.parse with the file and line:column of a syntax error in the message. */
export function parseJsonFile(file: string, text?: string): unknown {
  const src = text ?? readText(file);
  try {
    return JSON.parse(src);
  } catch (e) {
    const msg = (e as Error).message;
    const m = /position (\d+)/.exec(msg);
    let where = '';
    if (m) {
      const pos = Number(m[1]);
      const before = src.slice(0, pos);
      const line = before.split('\n').length;
      const col = pos - before.lastIndexOf('\n');
      where = ` at line ${line}, column ${col}`;
    }
    const short = msg.replace(/\s+/g, ' ').slice(0, 120);
    throw new Error(`${file}: malformed JSON${where} (${short})`, { cause: e });
  }
}

/** Read an optional JSON object file; undefined when absent. */
export function readJsonObjectIfExists(dir: string, name: string): Record<string, unknown> | undefined {
  const f = join(dir, name);
  if (!existsSync(f)) return undefined;
  const v = parseJsonFile(f);
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error(`${f}: expected a JSON object at the top level`);
  return v as Record<string, unknown>;
}

export function writeJson(file: string, value: unknown): void {
  writeFileSync(file, JSON.stringify(value, null, 2) + '\n');
}

/** merges.txt: optional "#version" header, then "left right" per line. */
export function parseMergesTxt(text: string, file: string): [string, string][] {
  const out: [string, string][] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    let l = lines[i]!;
    if (l.endsWith('\r')) l = l.slice(0, -1);
    if (l === '' || (i === 0 && l.startsWith('#version'))) continue;
    const parts = l.split(' ');
    if (parts.length !== 2 || parts[0] === '' || parts[1] === '') {
      throw new Error(`${file}:${i + 1}: a merge must be two tokens separated by one space, got ${JSON.stringify(l.slice(0, 60))}`);
    }
    out.push([parts[0]!, parts[1]!]);
  }
  return out;
}

export function formatMergesTxt(merges: readonly (readonly [string, string])[]): string {
  return '#version: 0.2\n' + merges.map(([a, b]) => `${a} ${b}`).join('\n') + '\n';
}
