// `adaptext build-native`: builds the native addon from source in the installed package
// (scripts/build-native.mjs: node-gyp, a C++ compiler, make, python3; links OpenBLAS when it
// finds it). For platforms without a prebuilt, or to use this machine's OpenBLAS. The npm
// package has no install script, so this is the explicit way to what `npm install` used to do.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { Command } from 'commander';
import { packageRoot } from '../../tensor/kernels/native.js';

export function register(program: Command): void {
  program
    .command('build-native')
    .description('build the native addon from source (needs a C++ compiler, make, python3); it is then used instead of the prebuilt')
    .action(() => {
      const root = packageRoot();
      if (root === null) throw new Error('cannot find the adaptext package folder');
      const r = spawnSync(process.execPath, [join(root, 'scripts', 'build-native.mjs'), '--strict'], { cwd: root, stdio: 'inherit', env: { ...process.env, ADAPTEXT_SKIP_NATIVE: '' } });
      if (r.status !== 0) throw new Error(`the build failed (exit ${r.status ?? r.signal}); its log: ${join(root, 'build', 'native-build.log')}`);
      process.stdout.write('run `npx adaptext doctor` to check which kernels are used now\n');
    });
}
