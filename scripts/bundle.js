#!/usr/bin/env node
/**
 * Bundles dist/main.js and its always-loaded dependencies (dockerfile-ast and its vscode-languageserver
 * packages) into dist/dockrepro.js, which bin/dockrepro runs. Measured with `npm run bench`: resolving and
 * reading ~60 small modules is a fifth of a cold lint; one file brings a cold lint from ~1.7x to ~1.4x of
 * bare `node -e 0`. Modules needed only on some paths stay separate and are required lazily.
 */
'use strict';
const { buildSync } = require('esbuild');
const { resolve } = require('node:path');

const root = resolve(__dirname, '..');
buildSync({
  entryPoints: [resolve(root, 'dist/main.js')],
  outfile: resolve(root, 'dist/dockrepro.js'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  // Loaded only when a config file, a folder walk, a glob COPY or a changed package.json needs them.
  external: ['js-yaml', 'ignore', 'semver', 'picomatch'],
  logLevel: 'warning',
});
