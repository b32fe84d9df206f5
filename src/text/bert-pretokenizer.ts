// BertPreTokenizer (HF tokenizers pre_tokenizers/bert.rs): split on whitespace (dropped),
// then isolate every punctuation character as its own word.

import { CF_PUNCT, CF_WHITESPACE, charFlags } from './unicode.js';

// ASCII classes: 0 word char, 1 whitespace, 2 punctuation (the common case skips the table below)
const ASCII_CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const f = charFlags(c);
  ASCII_CLASS[c] = f & CF_WHITESPACE ? 1 : f & CF_PUNCT ? 2 : 0;
}

/** Word ranges in `text` as a flat list [s0, e0, s1, e1, …] (UTF-16 units). */
export function bertPreTokenize(text: string): number[] {
  const out: number[] = [];
  let ws = -1; // start of the current word, -1 when outside one
  for (let i = 0; i < text.length;) {
    const c = text.charCodeAt(i);
    let w = 1;
    let cls: number;
    if (c < 128) cls = ASCII_CLASS[c]!;
    else {
      let cp = c;
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
        cp = text.codePointAt(i)!;
        if (cp > 0xffff) w = 2;
      }
      const f = charFlags(cp);
      cls = f & CF_WHITESPACE ? 1 : f & CF_PUNCT ? 2 : 0;
    }
    if (cls === 1) {
      if (ws >= 0) out.push(ws, i);
      ws = -1;
    } else if (cls === 2) {
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
