// Markdown tables generated from a config schema (src/io/validate.ts), so the documented fields,
// defaults and meanings cannot drift from what the validator accepts. `tools/gen-docs.ts`
// rewrites the marked blocks of the READMEs; a test fails when a committed block is stale.
import type { Schema } from './validate.js';

/** A default as written in a YAML config (`null`, numbers, strings, `[a, b]`, `{k: v}`). */
export function formatDefault(x: unknown): string {
  if (x === undefined) return '';
  if (x === null) return 'null';
  if (Array.isArray(x)) return `[${x.map(formatDefault).join(', ')}]`;
  if (typeof x === 'object')
    return `{${Object.entries(x)
      .map(([k, y]) => `${k}: ${formatDefault(y)}`)
      .join(', ')}}`;
  return String(x);
}

/** `| key | type | default | meaning |` for the fields of an object schema, in declaration order. */
export function fieldTable(schema: Schema<unknown, boolean>): string {
  const fields = schema.fields;
  if (fields === undefined) throw new Error(`fieldTable: not an object schema (${schema.expected})`);
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  const rows = Object.entries(fields).map(([key, s]) => {
    const d = s.fallback !== undefined ? `\`${cell(formatDefault(s.fallback()))}\`` : s.optional ? '–' : 'required';
    return `| \`${key}\` | ${cell(s.expected)} | ${d} | ${cell(s.description ?? '')} |`;
  });
  return ['| key | type | default | meaning |', '|---|---|---|---|', ...rows].join('\n');
}

const BEGIN = (name: string) => `<!-- generated:${name} -->`;
const END = (name: string) => `<!-- /generated:${name} -->`;

/** `text` with the block between the `<!-- generated:NAME -->` markers replaced by `body`. */
export function replaceGeneratedBlock(text: string, name: string, body: string, file: string): string {
  const a = text.indexOf(BEGIN(name));
  const b = text.indexOf(END(name));
  if (a < 0 || b < a) throw new Error(`${file}: no ${BEGIN(name)} … ${END(name)} block`);
  return text.slice(0, a) + `${BEGIN(name)}\n${body}\n` + text.slice(b);
}
