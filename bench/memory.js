/**
 * Bounded memory: peak RSS of `dockrepro lint --format json` and of `dockrepro fix --offline --check` over a
 * tree of corpus files replicated in nested folders, at two sizes in the same run. Reports and fix summaries
 * are streamed, so 10x the files may not cost (much) more memory: target peak(big) <= 1.5x peak(small) and
 * peak(big) < 300 MB, for each command.
 */
'use strict';
const { spawnSync } = require('node:child_process');
const { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

/** Writes `count` files (the corpus, round-robin) under `dir`, 500 per folder. */
function tree(dir, corpus, count) {
  const texts = readdirSync(corpus).sort().map((f) => readFileSync(join(corpus, f)));
  for (let i = 0; i < count; i++) {
    const sub = join(dir, `d${Math.floor(i / 500)}`);
    if (i % 500 === 0) mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, `f${i}.Dockerfile`), texts[i % texts.length]);
  }
}

/**
 * Peak RSS (MB) of one run, read by the child itself when it exits (maxRSS is the whole process, lint
 * workers included); the output goes to /dev/null.
 */
function peakMb(bin, args, dir) {
  const probe = `process.on('exit',()=>require('fs').writeSync(3,String(process.resourceUsage().maxRSS)));` +
    `process.argv=[process.argv[0],${JSON.stringify(bin)},...${JSON.stringify(args)},${JSON.stringify(dir)}];require(${JSON.stringify(bin)});`;
  const r = spawnSync(process.execPath, ['-e', probe], { stdio: ['ignore', 'ignore', 'pipe', 'pipe'], maxBuffer: 1 << 20 });
  if (r.status !== 0 && r.status !== 1) throw new Error(`${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return Number(r.output[3].toString()) / 1024;
}

function memoryBench({ root, corpus, small = 2000, big = 20000 }) {
  const bin = join(root, 'bin', 'dockrepro');
  const base = mkdtempSync(join(tmpdir(), 'dockrepro-bench-memory-'));
  try {
    tree(join(base, 'small'), corpus, small);
    tree(join(base, 'big'), corpus, big);
    let ok = true;
    // fix --check writes nothing, so both sizes see the same tree; --offline keeps the network out of it.
    for (const args of [['lint', '--format', 'json'], ['fix', '--offline', '--check']]) {
      const a = peakMb(bin, args, join(base, 'small'));
      const b = peakMb(bin, args, join(base, 'big'));
      const ratio = b / a;
      const fits = ratio <= 1.5 && b < 300;
      console.log(`${args.join(' ')} peak RSS: ${big} files ${b.toFixed(0)} MB vs ${small} files ${a.toFixed(0)} MB = ${ratio.toFixed(2)}x ` +
        `(target <= 1.5x and < 300 MB) ${fits ? 'OK' : 'OVER'}`);
      ok &&= fits;
    }
    return ok;
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

module.exports = { memoryBench, tree, peakMb };
