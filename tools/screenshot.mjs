#!/usr/bin/env node
// Screenshot an HTML file (e.g. a run's report.html) with headless Chromium:
//   node tools/screenshot.mjs report.html out.png [--width 1280] [--height N]
// Without --height the whole page is captured: Chromium's --screenshot has no full-page
// mode, so we shoot a 12000-px-tall window and crop the uniform background below the content
// (contentHeight). Uses Debian's /usr/bin/chromium (or $CHROMIUM);
// no network, a throw-away profile, and every background service switched off.
// Not part of `npm test`: CI has no Chromium.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { inflateSync, deflateSync } from 'node:zlib';

function usage(msg) {
  if (msg) console.error(`screenshot: ${msg}`);
  console.error('usage: node tools/screenshot.mjs INPUT.html OUTPUT.png [--width 1280] [--height PIXELS]');
  process.exit(2);
}

const args = process.argv.slice(2);
const pos = [];
let width = 1280;
let height = 0;
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--width' || a === '--height') {
    const v = Number(args[++i]);
    if (!Number.isInteger(v) || v < 200 || v > 30000) usage(`${a} needs an integer in [200, 30000], got ${args[i]}`);
    if (a === '--width') width = v;
    else height = v;
  } else if (a === '-h' || a === '--help') usage();
  else pos.push(a);
}
if (pos.length !== 2) usage('expected INPUT.html and OUTPUT.png');
const input = resolve(pos[0]);
const output = resolve(pos[1]);
if (!existsSync(input) || !statSync(input).isFile()) usage(`${pos[0]}: no such file`);

const candidates = [process.env.CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].filter(Boolean);
const chromium = candidates.find((p) => existsSync(p));
if (!chromium) {
  console.error('screenshot: Chromium not found (looked for $CHROMIUM, /usr/bin/chromium, /usr/bin/chromium-browser, /usr/bin/google-chrome).');
  console.error('screenshot: on Debian/Ubuntu install it with: apt-get install -y chromium');
  process.exit(3);
}

const profile = mkdtempSync(join(tmpdir(), 'adaptext-shot-'));
const shoot = (h, file) => {
  const r = spawnSync(
    chromium,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
      '--hide-scrollbars',
      '--force-device-scale-factor=1',
      `--user-data-dir=${profile}`,
      `--screenshot=${file}`,
      `--window-size=${width},${h}`,
      pathToFileURL(input).href,
    ],
    { encoding: 'utf8', timeout: 120_000 },
  );
  if (r.error) throw new Error(`screenshot: could not run ${chromium}: ${r.error.message}`);
  if (r.status !== 0 || !existsSync(file)) {
    throw new Error(`screenshot: ${chromium} exited with ${r.status}: ${(r.stderr || '').trim().split('\n').slice(-3).join(' | ')}`);
  }
};

// ---- minimal PNG reader/writer (8-bit RGB/RGBA, non-interlaced: what Chromium writes) -------
function readPng(buf) {
  if (buf.readUInt32BE(0) !== 0x89504e47) throw new Error('screenshot: not a PNG');
  let off = 8;
  let w = 0, h = 0, colorType = 0, bitDepth = 0, interlace = 0;
  const idat = [];
  while (off < buf.length) {
    const len = buf.readUInt32BE(off);
    const type = buf.toString('ascii', off + 4, off + 8);
    const data = buf.subarray(off + 8, off + 8 + len);
    if (type === 'IHDR') {
      w = data.readUInt32BE(0);
      h = data.readUInt32BE(4);
      bitDepth = data[8];
      colorType = data[9];
      interlace = data[12];
    } else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') break;
    off += 12 + len;
  }
  if (bitDepth !== 8 || (colorType !== 2 && colorType !== 6) || interlace !== 0) return null; // cannot crop; keep as is
  const bpp = colorType === 6 ? 4 : 3;
  const raw = inflateSync(Buffer.concat(idat));
  const stride = w * bpp;
  const px = Buffer.alloc(h * stride);
  for (let y = 0; y < h; y++) {
    const f = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= bpp ? px[y * stride + x - bpp] : 0;
      const b = y > 0 ? px[(y - 1) * stride + x] : 0;
      const c = x >= bpp && y > 0 ? px[(y - 1) * stride + x - bpp] : 0;
      let v = line[x];
      if (f === 1) v += a;
      else if (f === 2) v += b;
      else if (f === 3) v += (a + b) >> 1;
      else if (f === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
        v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      px[y * stride + x] = v & 255;
    }
  }
  return { w, h, bpp, colorType, px };
}

const CRC = new Int32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c;
});
function crc32(b) {
  let c = -1;
  for (const x of b) c = CRC[(c ^ x) & 255] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}
function writePng(img, h) {
  const stride = img.w * img.bpp;
  const raw = Buffer.alloc(h * (stride + 1));
  for (let y = 0; y < h; y++) img.px.copy(raw, y * (stride + 1) + 1, y * stride, (y + 1) * stride);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(img.w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8;
  ihdr[9] = img.colorType;
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}

/** Height after dropping trailing rows identical to the last row (the empty page below the content). */
function contentHeight(img) {
  const stride = img.w * img.bpp;
  const last = img.px.subarray((img.h - 1) * stride, img.h * stride);
  let y = img.h - 1;
  while (y > 0 && img.px.subarray((y - 1) * stride, y * stride).equals(last)) y--;
  return Math.min(img.h, y + 24);
}

try {
  if (height > 0) {
    shoot(height, output);
  } else {
    // Tall first shot, then crop the uniform background below the content.
    const tmp = join(profile, 'tall.png');
    shoot(12000, tmp);
    const img = readPng(readFileSync(tmp));
    if (img) writeFileSync(output, writePng(img, contentHeight(img)));
    else writeFileSync(output, readFileSync(tmp));
  }
  console.log(output);
} catch (e) {
  console.error(e.message);
  process.exitCode = 1;
} finally {
  rmSync(profile, { recursive: true, force: true });
}
