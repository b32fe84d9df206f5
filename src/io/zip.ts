// A minimal ZIP reader for the archives `torch.save` writes (PKWARE APPNOTE 6.3, sections 4.3
// and 4.5): it reads the central directory (zip64 included, so > 4 GB checkpoints work) and
// tells where each entry's bytes start, so tensors are read with positioned reads straight from
// the file. Only *stored* (uncompressed) entries are readable, which is all torch writes.
//
// Why our own and not a package: the checkpoint loader is synchronous (model loading is sync
// compute on a file already on disk) and must never hold a multi-GB file in memory. yauzl and
// node-stream-zip are async-only; adm-zip and jszip read the whole archive into a Buffer;
// fflate inflates buffers and has no file access. What we need (find the end record, walk the
// directory, check an entry's local header) is ~150 lines without inflate.
//
// Layout read here:
//   [local header 30 B + name + extra][data] ...        one per entry
//   [central directory: 46 B + name + extra + comment per entry]
//   [zip64 end record 56 B][zip64 locator 20 B]          only when a field overflows 32 bits
//   [end of central directory 22 B + comment <= 64 KiB]

import { fstatSync, readSync } from 'node:fs';

export interface ZipEntry {
  readonly name: string;
  /** 0 = stored; anything else (8 = deflate) cannot be read here. */
  readonly method: number;
  readonly flags: number;
  readonly compressedSize: number;
  readonly size: number;
  /** Offset of the entry's local header in the file. */
  readonly localHeaderOffset: number;
}

export interface ZipDirectory {
  readonly path: string;
  readonly fileBytes: number;
  /** Entries by name, in directory order. */
  readonly entries: ReadonlyMap<string, ZipEntry>;
  /** Offset of the central directory: every entry's data ends before it. */
  readonly directoryOffset: number;
}

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const EOCD_BYTES = 22;
const MAX_COMMENT = 0xffff;
/** A central directory above this is refused: a torch archive has ~3 entries per tensor. */
export const MAX_ZIP_DIRECTORY_BYTES = 256 << 20;

function fail(path: string, msg: string): never {
  throw new Error(`${path}: zip: ${msg}`);
}

/** Read exactly `len` bytes at `position` (errors name the file). */
export function readAt(fd: number, path: string, position: number, len: number): Uint8Array {
  const buf = new Uint8Array(len);
  readInto(fd, path, buf, position);
  return buf;
}

/** Fill `buf` from `position`. */
export function readInto(fd: number, path: string, buf: Uint8Array, position: number): void {
  let off = 0;
  while (off < buf.byteLength) {
    const n = readSync(fd, buf, off, Math.min(buf.byteLength - off, 1 << 30), position + off);
    if (n === 0) fail(path, `unexpected end of file at byte ${position + off} (file truncated?)`);
    off += n;
  }
}

function u64(path: string, v: DataView, at: number, what: string): number {
  const big = v.getBigUint64(at, true);
  if (big > BigInt(Number.MAX_SAFE_INTEGER)) fail(path, `${what} ${big} is out of range`);
  return Number(big);
}

/** Read and check the central directory of the ZIP archive open as `fd`. */
export function readZipDirectory(fd: number, path: string): ZipDirectory {
  const fileBytes = fstatSync(fd).size;
  if (fileBytes < EOCD_BYTES) fail(path, `file is ${fileBytes} bytes, too short for a zip archive (truncated?)`);
  // The end record is the last 22 bytes plus a comment of up to 64 KiB: scan backwards.
  const tailLen = Math.min(fileBytes, EOCD_BYTES + MAX_COMMENT);
  const tailStart = fileBytes - tailLen;
  const tail = readAt(fd, path, tailStart, tailLen);
  const tv = new DataView(tail.buffer);
  let eocd = -1;
  for (let i = tailLen - EOCD_BYTES; i >= 0; i--) {
    if (tv.getUint32(i, true) === SIG_EOCD && i + EOCD_BYTES + tv.getUint16(i + 20, true) === tailLen) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) fail(path, 'no end-of-central-directory record (not a zip archive, or truncated)');
  if (tv.getUint16(eocd + 4, true) !== 0 || tv.getUint16(eocd + 6, true) !== 0) fail(path, 'multi-disk archives are not supported');
  let count = tv.getUint16(eocd + 10, true);
  let cdSize = tv.getUint32(eocd + 12, true);
  let cdOffset = tv.getUint32(eocd + 16, true);
  let endOfDirectory = tailStart + eocd;
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    // zip64: a locator sits right before the end record and points at the zip64 end record.
    const locAt = tailStart + eocd - 20;
    if (locAt < 0) fail(path, 'zip64 fields without a zip64 locator (truncated?)');
    const loc = new DataView(readAt(fd, path, locAt, 20).buffer);
    if (loc.getUint32(0, true) !== SIG_ZIP64_LOCATOR) fail(path, 'zip64 fields without a zip64 locator');
    const recAt = u64(path, loc, 8, 'zip64 end record offset');
    if (recAt + 56 > locAt) fail(path, `zip64 end record offset ${recAt} is out of range`);
    const rec = new DataView(readAt(fd, path, recAt, 56).buffer);
    if (rec.getUint32(0, true) !== SIG_ZIP64_EOCD) fail(path, `no zip64 end record at byte ${recAt}`);
    count = u64(path, rec, 32, 'entry count');
    cdSize = u64(path, rec, 40, 'central directory size');
    cdOffset = u64(path, rec, 48, 'central directory offset');
    endOfDirectory = recAt;
  }
  if (cdSize > MAX_ZIP_DIRECTORY_BYTES) fail(path, `central directory of ${cdSize} bytes is over the ${MAX_ZIP_DIRECTORY_BYTES}-byte limit`);
  if (cdOffset + cdSize > endOfDirectory) {
    fail(path, `central directory [${cdOffset}, ${cdOffset + cdSize}) runs past its end record at byte ${endOfDirectory} (truncated or corrupt)`);
  }
  const cd = readAt(fd, path, cdOffset, cdSize);
  const v = new DataView(cd.buffer);
  const names = new TextDecoder('utf-8', { fatal: false });
  const entries = new Map<string, ZipEntry>();
  let p = 0;
  for (let k = 0; k < count; k++) {
    if (p + 46 > cdSize || v.getUint32(p, true) !== SIG_CENTRAL) fail(path, `central directory entry ${k} of ${count} is damaged`);
    const flags = v.getUint16(p + 8, true);
    const method = v.getUint16(p + 10, true);
    let compressedSize = v.getUint32(p + 20, true);
    let size = v.getUint32(p + 24, true);
    const nameLen = v.getUint16(p + 28, true);
    const extraLen = v.getUint16(p + 30, true);
    const commentLen = v.getUint16(p + 32, true);
    let localHeaderOffset = v.getUint32(p + 42, true);
    const end = p + 46 + nameLen + extraLen + commentLen;
    if (end > cdSize) fail(path, `central directory entry ${k} of ${count} runs past the directory`);
    const name = names.decode(cd.subarray(p + 46, p + 46 + nameLen));
    // zip64 extra field (id 1): 8-byte values for exactly the fields that read 0xFFFFFFFF.
    let e = p + 46 + nameLen;
    const extraEnd = e + extraLen;
    while (e + 4 <= extraEnd) {
      const id = v.getUint16(e, true);
      const len = v.getUint16(e + 2, true);
      if (e + 4 + len > extraEnd) fail(path, `entry ${JSON.stringify(name)}: extra field runs past its header`);
      if (id === 1) {
        let q = e + 4;
        const take = (what: string): number => {
          if (q + 8 > e + 4 + len) fail(path, `entry ${JSON.stringify(name)}: zip64 extra field too short for the ${what}`);
          const x = u64(path, v, q, `entry ${JSON.stringify(name)}: ${what}`);
          q += 8;
          return x;
        };
        if (size === 0xffffffff) size = take('size');
        if (compressedSize === 0xffffffff) compressedSize = take('compressed size');
        if (localHeaderOffset === 0xffffffff) localHeaderOffset = take('local header offset');
      }
      e += 4 + len;
    }
    if (entries.has(name)) fail(path, `entry ${JSON.stringify(name)} appears twice`);
    entries.set(name, { name, method, flags, compressedSize, size, localHeaderOffset });
    p = end;
  }
  return { path, fileBytes, entries, directoryOffset: cdOffset };
}

/**
 * Where the bytes of a stored entry start, after checking its local header (signature, name)
 * and that the bytes lie before the central directory. Compressed or encrypted entries are
 * refused: torch writes neither.
 */
export function storedEntryOffset(fd: number, dir: ZipDirectory, entry: ZipEntry): number {
  const where = `entry ${JSON.stringify(entry.name)}`;
  if (entry.flags & 1) fail(dir.path, `${where} is encrypted`);
  if (entry.method !== 0) {
    fail(dir.path, `${where} is compressed (method ${entry.method}); torch.save writes stored entries, re-save the file with torch.save`);
  }
  if (entry.compressedSize !== entry.size) fail(dir.path, `${where} is stored but its sizes differ (${entry.compressedSize} vs ${entry.size})`);
  if (entry.localHeaderOffset + 30 > dir.directoryOffset) fail(dir.path, `${where}: local header offset ${entry.localHeaderOffset} is out of range`);
  const h = readAt(fd, dir.path, entry.localHeaderOffset, 30);
  const v = new DataView(h.buffer);
  if (v.getUint32(0, true) !== SIG_LOCAL) fail(dir.path, `${where}: no local header at byte ${entry.localHeaderOffset}`);
  const nameLen = v.getUint16(26, true);
  const extraLen = v.getUint16(28, true);
  const start = entry.localHeaderOffset + 30 + nameLen + extraLen;
  const localName = new TextDecoder().decode(readAt(fd, dir.path, entry.localHeaderOffset + 30, nameLen));
  if (localName !== entry.name) fail(dir.path, `${where}: local header names ${JSON.stringify(localName)}`);
  if (start + entry.size > dir.directoryOffset) {
    fail(dir.path, `${where}: data [${start}, ${start + entry.size}) runs into the central directory at byte ${dir.directoryOffset} (truncated or corrupt)`);
  }
  return start;
}
