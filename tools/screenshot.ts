// Screenshot an HTML file (e.g. a run's report.html) with headless Chromium:
//   node --import tsx tools/screenshot.ts report.html out.png [--width 1280] [--height N]
// Without --height the whole page is captured: Chromium's --screenshot has no full-page
// mode, so we shoot a 12000-px-tall window and crop the uniform background below the content
// (contentHeight; PNG decoding and encoding by pngjs). Uses Debian's /usr/bin/chromium (or $CHROMIUM);
// no network, a throw-away profile, and every background service switched off.
// Not part of `npm test`: CI has no Chromium.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PNG } from 'pngjs';

function usage(msg?: string): never {
  if (msg) console.error(`screenshot: ${msg}`);
  console.error('usage: node --import tsx tools/screenshot.ts INPUT.html OUTPUT.png [--width 1280] [--height PIXELS]');
  process.exit(2);
}

const args = process.argv.slice(2);
const pos: string[] = [];
let width = 1280;
let height = 0;
for (let i = 0; i < args.length; i++) {
  const a = args[i]!;
  if (a === '--width' || a === '--height') {
    const v = Number(args[++i]);
    if (!Number.isInteger(v) || v < 200 || v > 30000) usage(`${a} needs an integer in [200, 30000], got ${args[i]}`);
    if (a === '--width') width = v;
    else height = v;
  } else if (a === '-h' || a === '--help') usage();
  else pos.push(a);
}
if (pos.length !== 2) usage('expected INPUT.html and OUTPUT.png');
const input = resolve(pos[0]!);
const output = resolve(pos[1]!);
if (!existsSync(input) || !statSync(input).isFile()) usage(`${pos[0]}: no such file`);

const candidates = [process.env['CHROMIUM'], '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].filter((p): p is string => p !== undefined && p !== '');
const chromium = candidates.find((p) => existsSync(p));
if (chromium === undefined) {
  console.error('screenshot: Chromium not found (looked for $CHROMIUM, /usr/bin/chromium, /usr/bin/chromium-browser, /usr/bin/google-chrome).');
  console.error('screenshot: on Debian/Ubuntu install it with: apt-get install -y chromium');
  process.exit(3);
}

const profile = mkdtempSync(join(tmpdir(), 'adaptext-shot-'));
const shoot = (h: number, file: string): void => {
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

/** Height after dropping trailing rows identical to the last row (the empty page below the content). */
function contentHeight(img: PNG): number {
  const stride = img.width * 4; // pngjs decodes to RGBA
  const last = img.data.subarray((img.height - 1) * stride, img.height * stride);
  let y = img.height - 1;
  while (y > 0 && img.data.subarray((y - 1) * stride, y * stride).equals(last)) y--;
  return Math.min(img.height, y + 24);
}

function crop(img: PNG, height: number): Buffer {
  const out = new PNG({ width: img.width, height });
  img.data.copy(out.data, 0, 0, img.width * 4 * height);
  return PNG.sync.write(out, { deflateLevel: 9 });
}

try {
  if (height > 0) {
    shoot(height, output);
  } else {
    // Tall first shot, then crop the uniform background below the content.
    const tmp = join(profile, 'tall.png');
    shoot(12000, tmp);
    const img = PNG.sync.read(readFileSync(tmp));
    writeFileSync(output, crop(img, contentHeight(img)));
  }
  console.log(output);
} catch (e) {
  console.error((e as Error).message);
  process.exitCode = 1;
} finally {
  rmSync(profile, { recursive: true, force: true });
}
