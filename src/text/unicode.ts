// Character classes used by the BERT normalizer / pre-tokenizer and the GPT-2 byte map,
// defined exactly as the Hugging Face `tokenizers` Rust crate defines them
// (normalizers/bert.rs, pre_tokenizers/bert.rs, pre_tokenizers/byte_level.rs), because
// the expected ids come from that library, not from the older Python BasicTokenizer.
//
// Classification is cached per code point in a 1.1 MB table: tokenizing a corpus asks the
// same few thousand code points millions of times and a regex test per char is the hot spot.

export const CF_WHITESPACE = 2; // Rust char::is_whitespace (Unicode White_Space) incl. \t \n \r
export const CF_CONTROL = 4; // Rust unicode_categories is_other (Cc Cf Cn Co Cs), minus \t \n \r
export const CF_PUNCT = 8; // ASCII punctuation or Unicode P* (BERT's _is_punctuation)
export const CF_CHINESE = 16; // CJK ideograph blocks BERT pads with spaces
export const CF_NONSPACING_MARK = 32; // Mn, removed by accent stripping
const CF_KNOWN = 1;

const table = new Uint8Array(0x110000);

const RE_OTHER = /^\p{C}$/u;
const RE_PUNCT = /^\p{P}$/u;
const RE_MN = /^\p{Mn}$/u;
const RE_WS = /^\p{White_Space}$/u;

function isChineseCp(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) ||
    (cp >= 0x2b920 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}

function isAsciiPunct(cp: number): boolean {
  return (cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126);
}

function classify(cp: number): number {
  const ch = String.fromCodePoint(cp);
  let f = CF_KNOWN;
  const tnr = cp === 9 || cp === 10 || cp === 13;
  if (tnr || RE_WS.test(ch)) f |= CF_WHITESPACE;
  if (!tnr && RE_OTHER.test(ch)) f |= CF_CONTROL;
  if (isAsciiPunct(cp) || RE_PUNCT.test(ch)) f |= CF_PUNCT;
  if (isChineseCp(cp)) f |= CF_CHINESE;
  if (RE_MN.test(ch)) f |= CF_NONSPACING_MARK;
  return f;
}

/** Bit set of CF_* flags for a code point (lone surrogates count as control). */
export function charFlags(cp: number): number {
  let f = table[cp]!;
  if (f === 0) {
    f = classify(cp);
    table[cp] = f;
  }
  return f;
}

/** Code point at UTF-16 index i, and how many UTF-16 units it spans. */
export function codePointAt(s: string, i: number): number {
  return s.codePointAt(i)!;
}

/** Number of code points (Rust `chars().count()`), not UTF-16 units. */
export function countCodePoints(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdbff || i + 1 >= s.length) n++;
    else {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
      n++;
    }
  }
  return n;
}

// GPT-2 / RoBERTa `bytes_to_unicode`: every byte gets a printable stand-in so BPE can work
// on strings; printable Latin-1 bytes map to themselves, the rest to U+0100.. in byte order.
function buildByteMaps(): { byteToChar: string[]; charToByte: Map<string, number> } {
  const bs: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) bs.push(b);
  for (let b = 0xa1; b <= 0xac; b++) bs.push(b);
  for (let b = 0xae; b <= 0xff; b++) bs.push(b);
  const cs = bs.slice();
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n);
      n++;
    }
  }
  const byteToChar = new Array<string>(256);
  const charToByte = new Map<string, number>();
  for (let i = 0; i < bs.length; i++) {
    const c = String.fromCharCode(cs[i]!);
    byteToChar[bs[i]!] = c;
    charToByte.set(c, bs[i]!);
  }
  return { byteToChar, charToByte };
}

const maps = buildByteMaps();
/** byte (0..255) → its one-character GPT-2 stand-in (e.g. 0x20 → 'Ġ'). */
export const BYTE_TO_CHAR: readonly string[] = maps.byteToChar;
/** GPT-2 stand-in character → byte. */
export const CHAR_TO_BYTE: ReadonlyMap<string, number> = maps.charToByte;
