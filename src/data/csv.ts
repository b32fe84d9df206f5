// Delimited-text parsing: RFC 4180 CSV (quoted fields may hold delimiters, quotes as "" and
// newlines) and plain TSV (no quoting by default, as in the IANA text/tab-separated-values
// format). Every record carries the 1-based line it starts on, for `file:line` messages.
//
// Leniency, following Python's csv module: a quote inside an unquoted field is kept as a
// literal character. Hard errors (reported per record, parsing resumes at the next line):
// text after a closing quote, and a quoted field still open at the end of the file.

export interface DelimitedOptions {
  delimiter: string;
  /** Quote character, or null for no quoting (every line is one record, split on the delimiter). */
  quote: string | null;
}

export type DelimitedRecord =
  | { line: number; fields: string[]; error?: undefined }
  | { line: number; fields?: undefined; error: string };

function checkChar(name: string, c: string | null): void {
  if (c !== null && c.length !== 1) throw new Error(`parseDelimited: ${name} must be one character, got ${JSON.stringify(c)}`);
}

/** Splits `text` into records. Blank lines (outside quotes) yield no record. */
export function parseDelimited(text: string, opts: DelimitedOptions): DelimitedRecord[] {
  const { delimiter: d, quote: q } = opts;
  checkChar('delimiter', d);
  checkChar('quote', q);
  if (d === q) throw new Error('parseDelimited: delimiter and quote must differ');
  const out: DelimitedRecord[] = [];
  const n = text.length;
  let i = 0;
  let line = 1;
  while (i < n) {
    // Blank line (only "\r" counts as blank too).
    if (text[i] === '\n' || (text[i] === '\r' && text[i + 1] === '\n')) {
      i += text[i] === '\r' ? 2 : 1;
      line += 1;
      continue;
    }
    const start = line;
    const fields: string[] = [];
    let error: string | undefined;
    let field = '';
    let endOfRecord = false;
    while (!endOfRecord) {
      if (q !== null && text[i] === q) {
        // Quoted field: runs to the next quote not doubled.
        i += 1;
        let closed = false;
        while (i < n) {
          const j = text.indexOf(q, i);
          const end = j < 0 ? n : j;
          field += text.slice(i, end);
          for (let k = text.indexOf('\n', i); k >= 0 && k < end; k = text.indexOf('\n', k + 1)) line += 1;
          i = end;
          if (j < 0) break;
          if (text[j + 1] === q) {
            field += q;
            i = j + 2;
            continue;
          }
          i = j + 1;
          closed = true;
          break;
        }
        if (!closed) {
          error = 'unterminated quoted field (a quote opened here is never closed)';
          i = n;
          break;
        }
        const c = text[i];
        if (c !== undefined && c !== d && c !== '\n' && !(c === '\r' && text[i + 1] === '\n')) {
          error = `unexpected ${JSON.stringify(c)} after a closing quote (a quote inside a quoted field must be doubled)`;
          break;
        }
      } else {
        const from = i;
        while (i < n) {
          const c = text[i]!;
          if (c === d || c === '\n' || (c === '\r' && text[i + 1] === '\n')) break;
          i += 1;
        }
        field = text.slice(from, i);
      }
      fields.push(field);
      field = '';
      if (i >= n) endOfRecord = true;
      else if (text[i] === d) i += 1;
      else {
        i += text[i] === '\r' ? 2 : 1;
        line += 1;
        endOfRecord = true;
      }
    }
    if (error !== undefined) {
      // Resume at the next physical line.
      while (i < n && text[i] !== '\n') i += 1;
      if (i < n) {
        i += 1;
        line += 1;
      }
      out.push({ line: start, error });
    } else out.push({ line: start, fields });
  }
  return out;
}
