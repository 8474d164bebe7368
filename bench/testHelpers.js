/**
 * The test fixture builders (test/helpers/*.ts: real Debian archives, Alpine indexes, rpm repositories, git
 * and download servers, images) required from the bench as they are, so the bench measures against the same
 * fixtures the tests trust rather than a copy of them: TypeScript files under test/ are transpiled on require
 * (types dropped, CommonJS out; no type check: `npx tsc -p tsconfig.test.json` does that).
 */
'use strict';
const { readFileSync } = require('node:fs');
const { join, resolve } = require('node:path');

const testDir = resolve(__dirname, '..', 'test');
let registered = false;

/** `require` of test/helpers/<name>.ts. */
function testHelper(name) {
  if (!registered) {
    const ts = require('typescript');
    const previous = require.extensions['.ts'];
    require.extensions['.ts'] = (module, file) => {
      if (!file.startsWith(testDir)) {
        if (previous) return previous(module, file);
        throw new Error(`${file}: only test/ TypeScript is loaded by the bench`);
      }
      const { outputText } = ts.transpileModule(readFileSync(file, 'utf8'), {
        fileName: file,
        compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
      });
      module._compile(outputText, file);
    };
    registered = true;
  }
  return require(join(testDir, 'helpers', `${name}.ts`));
}

module.exports = { testHelper };
