// A hub model as a local folder: only the files adaptext reads (config, one weights format,
// tokenizer files, adaptext's own sidecar), all from one commit, in the shared cache; the
// snapshot folder is then an ordinary model folder for loadModel/loadTokenizer.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { indexShardNames, WEIGHT_FILES } from '../io/weights-index.js';
import { cachedCommit, snapshotDir } from './cache.js';
import { HubError, hubFile, resolveHubOptions, type HubOptions, type ResolvedHubOptions } from './download.js';
import { formatModelId, parseModelId, type ModelId } from './model-id.js';

/** Optional files: whichever tokenizer files the model has, and adaptext's sidecar. */
export const OPTIONAL_FILES = ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'added_tokens.json', 'vocab.txt', 'vocab.json', 'merges.txt', 'adaptext.json'] as const;

export interface DownloadedModel {
  /** The snapshot folder (an ordinary model folder). */
  dir: string;
  repoId: string;
  revision: string;
  commit: string;
  /** Files present in the snapshot, in fetch order. */
  files: string[];
  /** How many of them were transferred now (the rest were cached). */
  fetched: number;
  /** The cache was used without asking the hub (offline, or the hub unreachable). */
  offline: boolean;
}

async function fetchAll(o: ResolvedHubOptions, id: ModelId): Promise<DownloadedModel> {
  const revision = id.revision ?? 'main';
  const name = formatModelId(id);
  const config = await hubFile(o, id.repoId, revision, 'config.json');
  if (config.path === null) throw new HubError(`${name}: the model has no config.json (not a transformers model?)`);
  const commit = config.commit;
  // every other file from the same commit, even if the branch moves meanwhile
  const files = ['config.json'];
  let fetched = config.fetched ? 1 : 0;
  const get = async (file: string, optional = true) => {
    const r = await hubFile(o, id.repoId, commit, file, { optional });
    if (r.path !== null) {
      files.push(file);
      if (r.fetched) fetched++;
    }
    return r.path;
  };
  let weights: string | null = null;
  for (const w of WEIGHT_FILES) {
    const p = await get(w); // offline, a weights format not cached counts as absent: the next is tried
    if (p === null) continue;
    weights = w;
    if (w.endsWith('.index.json')) for (const shard of indexShardNames(p)) if ((await get(shard, false)) === null) throw new HubError(`${name}: ${w} lists ${shard}, which the hub does not have`);
    break;
  }
  if (weights === null && o.offline)
    throw new Error(`${name}: no weights in the cache ${o.cacheDir} (looked for ${WEIGHT_FILES.join(', ')}) and HF_HUB_OFFLINE is set; fetch them once with network (adaptext download ${name})`);
  if (weights === null) throw new HubError(`${name}: no weights (looked for ${WEIGHT_FILES.join(', ')})`);
  for (const f of OPTIONAL_FILES) await get(f);
  return { dir: snapshotDir(o.cacheDir, id.repoId, commit), repoId: id.repoId, revision, commit, files, fetched, offline: o.offline };
}

/**
 * Fetch (or find in the cache) the files of hub model `id` (`org/name[@revision]`) and return
 * its snapshot folder. When the hub cannot be reached and the revision is cached, the cached
 * snapshot is used (said on the progress sink), as huggingface_hub does.
 */
export async function downloadModel(id: string | ModelId, opts: HubOptions = {}): Promise<DownloadedModel> {
  const parsed = typeof id === 'string' ? parseModelId(id) : id;
  if (parsed === null) throw new Error(`${String(id)}: not a Hugging Face model id (org/name[@revision])`);
  const o = resolveHubOptions(opts);
  try {
    return await fetchAll(o, parsed);
  } catch (e) {
    if (o.offline || e instanceof HubError) throw e;
    const revision = parsed.revision ?? 'main';
    const commit = cachedCommit(o.cacheDir, parsed.repoId, revision);
    if (commit === null || !existsSync(join(snapshotDir(o.cacheDir, parsed.repoId, commit), 'config.json'))) throw e;
    o.progress.note(`${formatModelId(parsed)}: the hub is unreachable (${(e as Error).message}); using the cached snapshot ${commit}`);
    return await fetchAll({ ...o, offline: true }, parsed);
  }
}

/**
 * What a user gave as a model: an existing local path is used as is; otherwise a hub model id
 * is fetched into the cache (see downloadModel). Anything else is an error naming both readings.
 */
export async function resolveModelRef(ref: string, opts: HubOptions = {}): Promise<string> {
  if (existsSync(ref)) return ref;
  const id = parseModelId(ref);
  if (id === null) throw new Error(`${ref}: no such folder, and not a Hugging Face model id (org/name[@revision])`);
  try {
    return (await downloadModel(id, opts)).dir;
  } catch (e) {
    // a mistyped relative folder reads as a model id too: say both readings
    if (e instanceof HubError && /no such model/.test(e.message)) throw new HubError(`${ref}: no such folder (from ${process.cwd()}), and ${e.message}`);
    throw e;
  }
}

/**
 * The cached snapshot folder of hub model `ref` when it is not a local path (no network; for
 * synchronous loaders), else null.
 */
export function cachedModelDir(ref: string, opts: Pick<HubOptions, 'cacheDir' | 'env'> = {}): string | null {
  if (existsSync(ref)) return null;
  const id = parseModelId(ref);
  if (id === null) return null;
  const o = resolveHubOptions({ ...opts, offline: true });
  const commit = cachedCommit(o.cacheDir, id.repoId, id.revision ?? 'main');
  if (commit === null) return null;
  const dir = snapshotDir(o.cacheDir, id.repoId, commit);
  return existsSync(join(dir, 'config.json')) ? dir : null;
}

/**
 * For synchronous loaders (loadModel, loadTokenizer): `ref` itself when it exists or cannot be
 * a model id, the cached snapshot of a hub model id, else an error saying how to fetch it.
 */
export function localModelDir(ref: string): string {
  if (existsSync(ref) || parseModelId(ref) === null) return ref;
  const cached = cachedModelDir(ref);
  if (cached !== null) return cached;
  throw new Error(
    `${ref}: no such folder, and as a Hugging Face model id it is not in the cache ${resolveHubOptions().cacheDir}; fetch it first: adaptext download ${ref} (or await downloadModel('${ref}'))`,
  );
}
