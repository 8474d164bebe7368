#!/usr/bin/env node
/**
 * Start-up time is the budget of the editor save hook and the pre-commit hook (a process per call; target
 * <= 1.3x bare `node -e 0`, measured by `npm run bench`). Two measured steps:
 *  1. esbuild bundles dist/main.js and its always-loaded dependencies (dockerfile-ast and its
 *     vscode-languageserver packages) into dist/dockrepro.js: resolving and reading ~60 small modules
 *     cost about a fifth of a cold lint.
 *  2. dist/dockrepro.cache holds V8's compiled code for that bundle, produced after a real lint of the
 *     examples so the functions a lint runs are in it (bin/dockrepro loads it; another Node version
 *     simply rejects it and compiles as usual). Measured: ~95 ms -> ~83 ms per cold lint, bare node 64 ms.
 *  3. The bundle is minified (see below).
 * Modules needed only on some paths (config, folder walks, globs, semver) stay separate and load lazily.
 * The rule that keeps the package lean: package.json's `dependencies` are exactly what the bundle leaves
 * out (installed next to it), and everything it inlines is a devDependency (not installed twice).
 */
'use strict';
const { buildSync } = require('esbuild');
const { spawnSync } = require('node:child_process');
const { writeFileSync } = require('node:fs');
const { resolve } = require('node:path');

const root = resolve(__dirname, '..');
const { dependencies } = require(resolve(root, 'package.json'));
const built = buildSync({
  entryPoints: [resolve(root, 'dist/main.js')],
  outfile: resolve(root, 'dist/dockrepro.js'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  // Loaded lazily (only when a config, a lockfile check, a package lookup or the language server needs
  // them): left out of the bundle so start-up does not parse them; the package installs them. The language
  // server's own code is in the bundle (only `dockrepro lsp` runs it), so the package ships one file of code.
  external: Object.keys(dependencies),
  // Minified: Node reads, and V8 checks the code cache against, every byte of the bundle on every start. Measured
  // (40 interleaved processes, reading and compiling the bundle with its cache): 885 kB 13.4 ms min / 31 ms median,
  // whitespace and syntax only (590 kB) 7.8 / 20 ms, fully (426 kB) 5.4 / 17 ms. Stack traces then name minified
  // functions: for a readable one run the unbundled build, `node dist/main.js …`.
  minify: true,
  // Which files went in (test/bundle.test.ts checks no dependency is inlined); not shipped in the package.
  metafile: true,
  logLevel: 'warning',
});
writeFileSync(resolve(root, 'dist/dockrepro.meta.json'), JSON.stringify(built.metafile));
const warmup = spawnSync(process.execPath, [resolve(root, 'bin/dockrepro'), 'lint', resolve(root, 'examples')], {
  env: { ...process.env, DOCKREPRO_WRITE_CODE_CACHE: '1' },
  encoding: 'utf8',
});
// The examples have findings on purpose: exit 1 is the expected outcome.
if (warmup.status !== 1) throw new Error(`linting the examples to warm the code cache failed (${warmup.status}): ${warmup.stderr}`);
