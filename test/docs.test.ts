/**
 * Every rule has its file, test and doc page, and each doc page's examples are true: the `## Example`
 * block triggers the rule and the `Use instead:` block does not (ESLint checks its rule docs the same way).
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseDockerfile } from '../src/parse/dockerfile';
import { lintModel } from '../src/lint';
import { RULES } from '../src/rules/index';
import { LockFile } from '../src/resolve/lock';

const root = resolve(__dirname, '..');
const HEADINGS = ['## What it does', '## Why is this bad?', '## Example', '## Fix safety', '## Options', '## When not to use it', '## References'];

/** The first ```dockerfile block after `marker`. */
function blockAfter(doc: string, marker: string): string | undefined {
  const at = doc.indexOf(marker);
  if (at < 0) return undefined;
  return /```dockerfile\n([\s\S]*?)```/.exec(doc.slice(at))?.[1];
}

describe.each(RULES.map((r) => [r.meta.id, r] as const))('%s', (id, rule) => {
  const docPath = resolve(root, 'docs/rules', `${id}.md`);
  const doc = existsSync(docPath) ? readFileSync(docPath, 'utf8') : '';

  it('has a test file, a doc page with the standard headings, and a README row', () => {
    expect(existsSync(resolve(root, 'test/rules', `${id}.test.ts`))).toBe(true);
    expect(doc).toMatch(new RegExp(`^---\\nid: ${id}\\n`));
    for (const h of HEADINGS) expect(doc).toContain(`\n${h}`);
    expect(readFileSync(resolve(root, 'README.md'), 'utf8')).toContain(`[${id}](docs/rules/${id}.md)`);
  });

  it('says since which version it exists, no later than this package', () => {
    const since = /\nsince: (\d+)\.(\d+)\.(\d+)\n/.exec(doc)?.slice(1).map(Number);
    const current = (JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')) as { version: string }).version.split('.').map(Number);
    expect(since).toHaveLength(3);
    const later = since!.findIndex((n, i) => n !== current[i]);
    expect(later < 0 || since![later] < current[later]).toBe(true);
  });

  it("says in its front matter whether it is fixable, as the rule's meta.fixable does", () => {
    // `fixable: no` (with a note) for a rule that requests no fix; anything else (yes, partly, unsafe, …) names how.
    const fixable = /\nfixable: (.+)\n/.exec(doc.split('\n---\n')[0])?.[1];
    expect(fixable).toBeDefined();
    expect({ id, says: fixable!.startsWith('no') ? 'no' : 'fixable' }).toEqual({ id, says: rule.meta.fixable.length === 0 ? 'no' : 'fixable' });
  });

  it('its Example triggers the rule and its Use instead does not', () => {
    const bad = blockAfter(doc, '## Example');
    const good = blockAfter(doc, '\nUse instead:');
    expect(bad).toBeDefined();
    expect(good).toBeDefined();
    // A page whose example needs a lock file shows it first (image-lock).
    const lockJson = /With this `dockrepro.lock.json`:\s*```json\n([\s\S]*?)```/.exec(doc)?.[1];
    const lock = lockJson === undefined ? undefined : LockFile.fromText(lockJson, 'dockrepro.lock.json');
    expect(lintModel(parseDockerfile(bad!), { rules: [rule], lock }).length).toBeGreaterThan(0);
    expect(lintModel(parseDockerfile(good!), { rules: [rule], lock })).toEqual([]);
  });
});
