// What scripts/build-native.mjs (build from source) and scripts/build-prebuilt.mjs (the
// prebuilt that ships in the npm package) share: finding npm's node-gyp and its arguments.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';

/** node-gyp's CLI script: npm's own (npm sets npm_config_node_gyp for scripts) or a local one; null when none exists. */
export function findNodeGyp(root) {
  const candidates = [];
  if (process.env.npm_config_node_gyp) candidates.push(process.env.npm_config_node_gyp);
  try {
    candidates.push(createRequire(join(root, 'package.json')).resolve('node-gyp/bin/node-gyp.js'));
  } catch {
    // not a local dependency
  }
  if (process.env.npm_execpath) {
    candidates.push(join(dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  }
  const prefix = dirname(dirname(process.execPath));
  candidates.push(join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  return candidates.find((c) => c.endsWith('.js') && existsSync(c)) ?? null;
}

/** `node <nodeGyp> rebuild --release --jobs=N [--nodedir=...]`'s arguments. */
export function nodeGypRebuildArgs(nodeGyp) {
  const args = [nodeGyp, 'rebuild', '--release', `--jobs=${Math.max(1, availableParallelism())}`];
  // Offline machines: build against the headers of the running Node (e.g. /usr/include/node)
  // instead of letting node-gyp download them, unless npm already passes a nodedir.
  if (!process.env.npm_config_nodedir) {
    const prefix = dirname(dirname(process.execPath));
    if (existsSync(join(prefix, 'include', 'node', 'node_api.h')) && existsSync(join(prefix, 'include', 'node', 'common.gypi'))) {
      args.push(`--nodedir=${prefix}`);
    }
  }
  return args;
}
