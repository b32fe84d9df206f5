// Hub model ids against a local fake hub (test/support/hub-server.ts): the cache layout shared
// with huggingface_hub, warm and offline use, resume after a cut connection, checksum refusal,
// gated repos, unknown revisions, mirrors via HF_ENDPOINT.
import assert from 'node:assert/strict';
import { existsSync, lstatSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cachedModelDir, downloadModel, hubCacheDir, parseModelId, repoFolderName, resolveHubOptions, resolveModelRef } from '../../src/hub/index.js';
import { loadModel } from '../../src/models/index.js';
import { loadTokenizer } from '../../src/text/index.js';
import { noGrad } from '../../src/tensor/index.js';
import { gitSha1, sha256, startFakeHub, type FakeHub } from '../support/hub-server.js';
import { tinyBertFolder } from '../support/tiny-model.js';
import { tmp } from '../support/tmp.js';

const COMMIT = 'a'.repeat(40);
const V2 = 'b'.repeat(40);
const texts = () => Array.from({ length: 200 }, (_, i) => `the kitchen knife number ${i} is sharp and the pan is ${i % 2 ? 'great' : 'awful'}`);

let hub: FakeHub;
let files: Record<string, Buffer>;
let modelDir: string;

before(async () => {
  modelDir = tinyBertFolder({ corpus: 'hub-test', texts, vocab: 300 });
  files = Object.fromEntries(readdirSync(modelDir).map((f) => [f, readFileSync(join(modelDir, f))]));
  hub = await startFakeHub(
    {
      'org/tiny': { commit: COMMIT, refs: { v1: COMMIT }, files },
      'org/gated': { commit: V2, files, token: 'hf_secret' },
      'org/evil': {
        commit: V2,
        files: { 'config.json': files['config.json']!, 'model.safetensors.index.json': Buffer.from(JSON.stringify({ weight_map: { 'a.weight': '../../../escape.safetensors' } })) },
      },
    },
    { renamed: { tiny: 'org/tiny' } },
  );
});
after(() => hub.close());

const opts = (cache: string, extra: Record<string, unknown> = {}) => ({ endpoint: hub.url, cacheDir: cache, token: null, env: {}, ...extra });
const gets = () => hub.log.filter((l) => l.method === 'GET').length;

function forward(dir: string): Float32Array {
  const { model } = loadModel(dir, { seed: 1 });
  model.train(false);
  return noGrad(() => model.forward({ inputIds: Int32Array.from([2, 7, 9, 11, 3]), attentionMask: new Float32Array(5).fill(1), shape: [1, 5] }).lastHiddenState.data.slice());
}

describe('model ids', () => {
  it('parses org/name, name and @revision; refuses what the hub refuses', () => {
    assert.deepEqual(parseModelId('hfl/chinese-roberta-wwm-ext'), { repoId: 'hfl/chinese-roberta-wwm-ext', revision: null });
    assert.deepEqual(parseModelId('bert-base-chinese@v1.0'), { repoId: 'bert-base-chinese', revision: 'v1.0' });
    for (const bad of ['a/b/c', 'org/na--me', 'org/..', '-x', 'x@', 'x@a b', '', 'org/', './models/x']) assert.equal(parseModelId(bad), null, bad);
  });
  it('finds the cache where huggingface_hub does', () => {
    assert.equal(hubCacheDir({ HF_HUB_CACHE: '/c' }), '/c');
    assert.equal(hubCacheDir({ HF_HOME: '/h' }), '/h/hub');
    assert.equal(hubCacheDir({ XDG_CACHE_HOME: '/x' }), '/x/huggingface/hub');
    assert.equal(repoFolderName('hfl/chinese-roberta-wwm-ext'), 'models--hfl--chinese-roberta-wwm-ext');
    const o = resolveHubOptions({ env: { HF_ENDPOINT: 'https://hf-mirror.com/', HF_TOKEN: 't', HF_HUB_OFFLINE: '1' } });
    assert.deepEqual([o.endpoint, o.token, o.offline], ['https://hf-mirror.com', 't', true]);
    const legacy = resolveHubOptions({ env: { HUGGING_FACE_HUB_TOKEN: 'old', TRANSFORMERS_OFFLINE: '1' } });
    assert.deepEqual([legacy.token, legacy.offline], ['old', true]);
    const home = tmp();
    writeFileSync(join(home, 'my-token'), 'from-file\n');
    assert.equal(resolveHubOptions({ env: { HF_TOKEN_PATH: join(home, 'my-token') } }).token, 'from-file');
    assert.equal(hubCacheDir({ HF_HOME: '~/hf' }), join(homedir(), 'hf', 'hub'));
    assert.equal(hubCacheDir({ HF_HUB_CACHE: '${BASE}/c', BASE: '/b' }), '/b/c');
  });
});

describe('downloadModel against a local hub', () => {
  it('cold cache: fetches config, weights and tokenizer files into the shared layout; the snapshot loads like the original', async () => {
    const cache = tmp();
    const r = await downloadModel('org/tiny', opts(cache));
    const root = join(cache, 'models--org--tiny');
    assert.equal(r.commit, COMMIT);
    assert.equal(r.dir, join(root, 'snapshots', COMMIT));
    assert.deepEqual([...r.files].sort(), Object.keys(files).sort());
    assert.equal(r.fetched, r.files.length);
    assert.equal(readFileSync(join(root, 'refs', 'main'), 'utf8'), COMMIT);
    // LFS file: blob named by sha256, relative symlink from the snapshot (huggingface_hub's layout)
    const weights = join(r.dir, 'model.safetensors');
    assert.ok(lstatSync(weights).isSymbolicLink());
    assert.equal(readlinkSync(weights), join('..', '..', 'blobs', sha256(files['model.safetensors']!)));
    assert.equal(readlinkSync(join(r.dir, 'config.json')), join('..', '..', 'blobs', gitSha1(files['config.json']!)));
    // files the model does not have are remembered as absent
    assert.ok(existsSync(join(root, '.no_exist', COMMIT, 'merges.txt')));
    assert.ok(!existsSync(join(root, '.no_exist', COMMIT, 'model.safetensors.index.json')), 'safetensors found first: no other weight format asked for');
    assert.deepEqual(forward(r.dir), forward(modelDir));
  });

  it('warm cache: nothing transferred again; offline: no request at all; offline and not cached: a clear error', async () => {
    const cache = tmp();
    await downloadModel('org/tiny', opts(cache));
    const g = gets();
    const warm = await downloadModel('org/tiny', opts(cache));
    assert.equal(warm.fetched, 0);
    assert.equal(gets(), g, 'no GET for cached blobs');
    const n = hub.log.length;
    const off = await downloadModel('org/tiny', opts(cache, { offline: true }));
    assert.equal(hub.log.length, n);
    assert.equal(off.dir, warm.dir);
    assert.equal(cachedModelDir('org/tiny', { cacheDir: cache }), warm.dir);
    await assert.rejects(downloadModel('org/tiny', opts(tmp(), { env: { HF_HUB_OFFLINE: '1' } })), /not in the cache .*HF_HUB_OFFLINE.*adaptext download org\/tiny/);
  });

  it('the hub unreachable: a cached revision is used with a note; not cached: the network error', async () => {
    const cache = tmp();
    await downloadModel('org/tiny', opts(cache));
    const notes: string[] = [];
    const progress = { start() {}, update() {}, end() {}, note: (m: string) => notes.push(m) };
    const r = await downloadModel('org/tiny', opts(cache, { endpoint: 'http://127.0.0.1:9', progress }));
    assert.equal(r.commit, COMMIT);
    assert.match(notes.join('\n'), /unreachable.*using the cached snapshot/);
    await assert.rejects(downloadModel('org/tiny', opts(tmp(), { endpoint: 'http://127.0.0.1:9' })), /fetch failed|ECONNREFUSED/);
  });

  it('a connection cut mid-file is resumed with a Range request; a partial file left by an earlier run is continued', async () => {
    const cache = tmp();
    hub.cutOnce.add('model.safetensors');
    const r = await downloadModel('org/tiny', opts(cache));
    const blobGets = hub.log.filter((l) => l.path.startsWith('/cdn/' + sha256(files['model.safetensors']!)));
    assert.equal(blobGets.at(-2)!.status, -1, 'first transfer cut');
    assert.match(blobGets.at(-1)!.range ?? '', /^bytes=\d+-$/);
    assert.deepEqual(readFileSync(join(r.dir, 'model.safetensors')), files['model.safetensors']);

    const cache2 = tmp();
    const blobs = join(cache2, 'models--org--tiny', 'blobs');
    mkdirSync(blobs, { recursive: true });
    const w = files['model.safetensors']!;
    writeFileSync(join(blobs, `${sha256(w)}.incomplete`), w.subarray(0, 1000));
    await downloadModel('org/tiny', opts(cache2));
    const last = hub.log.filter((l) => l.path === `/cdn/${sha256(w)}`).at(-1)!;
    assert.equal(last.range, 'bytes=1000-');
    assert.equal(last.status, 206);
    assert.deepEqual(readFileSync(join(blobs, sha256(w))), w);
  });

  it('a wrong checksum is refused and leaves nothing that looks valid', async () => {
    const cache = tmp();
    hub.corrupt.add('model.safetensors');
    try {
      await assert.rejects(downloadModel('org/tiny', opts(cache)), /model\.safetensors: corrupt download \(sha256 [0-9a-f]{64}, the hub announced [0-9a-f]{64}\); nothing was kept/);
    } finally {
      hub.corrupt.delete('model.safetensors');
    }
    const root = join(cache, 'models--org--tiny');
    assert.deepEqual(
      readdirSync(join(root, 'blobs')).filter((f) => f.startsWith(sha256(files['model.safetensors']!))),
      [],
    );
    assert.ok(!existsSync(join(root, 'snapshots', COMMIT, 'model.safetensors')));
    assert.equal(cachedModelDir('org/tiny', { cacheDir: cache }), join(root, 'snapshots', COMMIT), 'config.json is cached; the weights are not');
    await assert.rejects(downloadModel('org/tiny', opts(cache, { offline: true })), /org\/tiny: no weights in the cache .* HF_HUB_OFFLINE is set; fetch them once with network/);
  });

  it('revisions: a tag and a commit resolve to the snapshot; an unknown one is named', async () => {
    const cache = tmp();
    assert.equal((await downloadModel('org/tiny@v1', opts(cache))).commit, COMMIT);
    assert.equal(readFileSync(join(cache, 'models--org--tiny', 'refs', 'v1'), 'utf8'), COMMIT);
    const n = hub.log.length;
    assert.equal((await downloadModel(`org/tiny@${COMMIT}`, opts(cache))).commit, COMMIT);
    assert.equal(hub.log.length, n, 'a cached commit needs no request');
    await assert.rejects(downloadModel('org/tiny@nope', opts(cache)), /org\/tiny@nope\/config\.json: no such revision/);
    await assert.rejects(downloadModel('org/none', opts(cache)), /no such model on http:\/\/127\.0\.0\.1:\d+ \(or it is private: set HF_TOKEN\)/);
  });

  it('gated: refused without the token (saying what to do), fetched with it; a renamed repo is followed', async () => {
    await assert.rejects(downloadModel('org/gated', opts(tmp())), /access denied \(HTTP 401, GatedRepo\).*set HF_TOKEN/);
    const r = await downloadModel('org/gated', opts(tmp(), { env: { HF_TOKEN: 'hf_secret' }, token: undefined }));
    assert.equal(r.commit, V2);
    const renamed = await downloadModel('tiny', opts(tmp()));
    assert.equal(renamed.commit, COMMIT);
    assert.match(renamed.dir, /models--tiny/);
  });

  it('the token goes to the hub only, never to the CDN the file redirects to', async () => {
    const n = hub.log.length;
    await downloadModel('org/gated', opts(tmp(), { token: 'hf_secret' }));
    const seen = hub.log.slice(n);
    assert.ok(seen.some((l) => l.path.includes('/resolve/') && l.auth === 'Bearer hf_secret'));
    const cdn = seen.filter((l) => l.path.startsWith('/cdn/'));
    assert.ok(cdn.length > 0);
    assert.deepEqual(
      cdn.map((l) => l.auth),
      cdn.map(() => null),
    );
  });

  it('an outage (503) or a rate limit (429) falls back to a cached snapshot; a model the hub does not know does not', async () => {
    const cache = tmp();
    await downloadModel('org/tiny', opts(cache));
    for (const status of [503, 429]) {
      hub.failWith = status;
      try {
        const notes: string[] = [];
        const r = await downloadModel('org/tiny', opts(cache, { progress: { start() {}, update() {}, end() {}, note: (m: string) => notes.push(m) } }));
        assert.equal(r.commit, COMMIT);
        assert.match(notes.join('\n'), new RegExp(`HTTP ${status} .*using the cached snapshot`));
        await assert.rejects(downloadModel('org/tiny', opts(tmp())), new RegExp(`HTTP ${status} from .* try again later`));
      } finally {
        hub.failWith = null;
      }
    }
  });

  it('offline: a snapshot another tool fetched (no adaptext-only files, no markers for them) is complete enough', async () => {
    const cache = tmp();
    await downloadModel('org/tiny', opts(cache));
    rmSync(join(cache, 'models--org--tiny', '.no_exist'), { recursive: true });
    rmSync(join(cache, 'models--org--tiny', 'snapshots', COMMIT, 'adaptext.json'));
    const r = await downloadModel('org/tiny', opts(cache, { offline: true }));
    assert.ok(!r.files.includes('adaptext.json') && r.files.includes('model.safetensors'));
  });

  it('two downloads of one model at once: the second waits for the first and both succeed', async () => {
    const cache = tmp();
    const [a, b] = await Promise.all([downloadModel('org/tiny', opts(cache)), downloadModel('org/tiny', opts(cache))]);
    assert.equal(a.dir, b.dir);
    assert.deepEqual(readFileSync(join(a.dir, 'model.safetensors')), files['model.safetensors']);
  });

  it('a complete partial file (a run that died while verifying) is verified, not fetched again', async () => {
    const cache = tmp();
    const blobs = join(cache, 'models--org--tiny', 'blobs');
    mkdirSync(blobs, { recursive: true });
    const w = files['model.safetensors']!;
    writeFileSync(join(blobs, `${sha256(w)}.incomplete`), w);
    const n = hub.log.length;
    await downloadModel('org/tiny', opts(cache));
    assert.ok(!hub.log.slice(n).some((l) => l.path === `/cdn/${sha256(w)}`));
    assert.deepEqual(readFileSync(join(blobs, sha256(w))), w);
  });

  it('a shard index naming a path out of the snapshot is refused before anything is fetched for it', async () => {
    await assert.rejects(downloadModel('org/evil', opts(tmp())), /weight_map names shard "\.\.\/\.\.\/\.\.\/escape\.safetensors", expected a file name in the same folder/);
  });

  it('resolveModelRef: a local folder as is, an id through the cache, anything else named', async () => {
    assert.equal(await resolveModelRef(modelDir), modelDir);
    const cache = tmp();
    assert.equal(await resolveModelRef('org/tiny', opts(cache)), join(cache, 'models--org--tiny', 'snapshots', COMMIT));
    await assert.rejects(resolveModelRef('./no/such/dir', opts(cache)), /no such folder, and not a Hugging Face model id/);
    await assert.rejects(resolveModelRef('models/typo', opts(cache)), /^Error: models\/typo: no such folder \(from .*\), and models\/typo@main\/config\.json: no such model on http/);
  });
});

describe('synchronous loaders with a model id', () => {
  it('loadModel and loadTokenizer read a cached id; an id not cached says how to fetch it', async () => {
    const cache = tmp();
    const saved = process.env['HF_HUB_CACHE'];
    process.env['HF_HUB_CACHE'] = cache;
    try {
      assert.throws(() => loadModel('org/tiny'), /org\/tiny: no such folder, and as a Hugging Face model id it is not in the cache .*; fetch it first: adaptext download org\/tiny/);
      await downloadModel('org/tiny', opts(cache));
      assert.deepEqual(forward('org/tiny'), forward(modelDir));
      assert.equal(loadTokenizer('org/tiny').vocabSize, loadTokenizer(modelDir).vocabSize);
    } finally {
      if (saved === undefined) delete process.env['HF_HUB_CACHE'];
      else process.env['HF_HUB_CACHE'] = saved;
    }
  });
});
