// BertPreTokenizer (HF tokenizers pre_tokenizers/bert.rs): split on whitespace (dropped),
// then isolate every punctuation character as its own word.

import { CF_PUNCT, CF_WHITESPACE, charFlags } from './unicode.js';

/** Word ranges in `text` as a flat list [s0, e0, s1, e1, …] (UTF-16 units). */
export function bertPreTokenize(text: string): number[] {
  const out: number[] = [];
  let ws = -1; // start of the current word, -1 when outside one
  for (let i = 0; i < text.length; ) {
    const c = text.charCodeAt(i);
    let cp = c;
    let w = 1;
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      cp = text.codePointAt(i)!;
      if (cp > 0xffff) w = 2;
    }
    // ASCII letters/digits are the common case: skip the table lookup
    const plain = (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || (c >= 65 && c <= 90);
    const f = plain ? 0 : charFlags(cp);
    if (f & CF_WHITESPACE) {
      if (ws >= 0) out.push(ws, i);
      ws = -1;
    } else if (f & CF_PUNCT) {
      if (ws >= 0) out.push(ws, i);
      ws = -1;
      out.push(i, i + w);
    } else if (ws < 0) {
      ws = i;
    }
    i += w;
  }
  if (ws >= 0) out.push(ws, text.length);
  return out;
}
