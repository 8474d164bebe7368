/**
 * The fix engine with small fixers written for these tests (the engine is what is under test): passes until
 * stable, byte-exact edits, safe/unsafe, verification that drops fixes which break parsing or add findings.
 */
import { fixText, type FixOptions } from '../../src/fix';
import type { Fix, Fixer, FixResult } from '../../src/fixers/types';
import { NotFixed } from '../../src/util/notFixed';
import { FIXERS } from '../../src/fixers/index';
import { withFixer } from '../helpers/fixerTable';
import type { Finding } from '../../src/rules/types';
import { RULES } from '../../src/rules/index';

const pipRule = RULES.filter((r) => r.meta.id === 'pip-pin');

/** Pins a pip requirement by replacing the reported word with `<transform(word)>`. */
function pipFixer(transform: (word: string) => string, applicability: Fix['applicability'] = 'safe'): Fixer<'pip-version'> {
  return {
    kind: 'pip-version',
    fix: (findings: Finding[], ctx) =>
      findings.map((f) => {
        const word = ctx.model.text.slice(f.span.start, f.span.end);
        return { title: `pin ${word}`, applicability, edits: [{ start: f.span.start, end: f.span.end, text: transform(word) }] };
      }),
  };
}

function options(fixer: Fixer<'pip-version'>, extra: Partial<FixOptions> = {}): FixOptions {
  return { rules: pipRule, unsafe: false, offline: true, baseId: 10001, fixers: withFixer(fixer), ...extra };
}

describe('fix engine', () => {
  it('applies safe fixes and changes only the edited bytes (CRLF, comments, continuations kept)', async () => {
    const text = 'FROM python:3\r\n# deps\r\nRUN pip install flask \\\r\n    requests==2.32.3 \\\r\n  django\r\n';
    const r = await fixText(text, options(pipFixer((w) => `${w}==1.0.0`)));
    expect(r.text).toBe('FROM python:3\r\n# deps\r\nRUN pip install flask==1.0.0 \\\r\n    requests==2.32.3 \\\r\n  django==1.0.0\r\n');
    expect(r.applied.map((a) => a.title)).toEqual(['pin flask', 'pin django']);
    expect(r.left).toEqual([]);
  });

  it('is idempotent: fixing the output changes nothing', async () => {
    const first = await fixText('FROM x\nRUN pip install a b\n', options(pipFixer((w) => `${w}==2`)));
    const second = await fixText(first.text, options(pipFixer((w) => `${w}==2`)));
    expect(second.text).toBe(first.text);
    expect(second.applied).toEqual([]);
  });

  it('leaves unsafe fixes unless asked', async () => {
    const text = 'FROM x\nRUN pip install flask\n';
    const safeOnly = await fixText(text, options(pipFixer((w) => `${w}==1`, 'unsafe')));
    expect(safeOnly.text).toBe(text);
    expect(safeOnly.left.map((l) => [l.left, l.reason])).toEqual([['unsafe', 'pin flask (an unsafe fix: it may change what gets built; use --unsafe)']]);
    const withUnsafe = await fixText(text, options(pipFixer((w) => `${w}==1`, 'unsafe'), { unsafe: true }));
    expect(withUnsafe.text).toBe('FROM x\nRUN pip install flask==1\n');
  });

  it('drops a fix that adds a finding, and says why', async () => {
    const text = 'FROM x\nRUN pip install flask\n';
    const r = await fixText(text, options(pipFixer((w) => `${w}==1 requests`)));
    expect(r.text).toBe(text);
    expect(r.left.map((l) => l.left)).toEqual(['failed']);
    expect(r.left[0].reason).toContain("the result has a new finding: pip requirement 'requests' is not pinned");
  });

  it('drops a fix that breaks the shell syntax', async () => {
    const text = 'FROM x\nRUN pip install flask\n';
    const r = await fixText(text, options(pipFixer((w) => `"${w}==1`)));
    expect(r.text).toBe(text);
    expect(r.left[0]).toMatchObject({ left: 'failed', reason: expect.stringContaining('does not parse') });
  });

  it('keeps good fixes when one of the same pass is bad', async () => {
    const r = await fixText('FROM x\nRUN pip install good bad\n', options(pipFixer((w) => (w === 'bad' ? `${w}==1 evil` : `${w}==1`))));
    expect(r.text).toBe('FROM x\nRUN pip install good==1 bad\n');
    expect(r.left.map((l) => [l.finding.message.split("'")[1], l.left])).toEqual([['bad', 'failed']]);
  });

  it('reports a fixer that throws as failed, and others still run', async () => {
    const throwing: Fixer<'pip-version'> = { kind: 'pip-version', fix: () => { throw new Error('index unreachable'); } };
    const r = await fixText('FROM x\nRUN pip install flask\n', options(throwing));
    expect(r.left[0]).toMatchObject({ left: 'failed', reason: "fixer 'pip-version' failed: index unreachable" });
  });

  it('applies overlapping fixes over several passes', async () => {
    // Both fixes rewrite the whole RUN line: only one can go per pass.
    const wholeLine: Fixer<'pip-version'> = {
      kind: 'pip-version',
      fix: (findings, ctx) =>
        findings.map((f): FixResult => {
          const run = ctx.model.runs.find((r) => r.span.start <= f.span.start && f.span.end <= r.span.end)!;
          const word = ctx.model.text.slice(f.span.start, f.span.end);
          const line = ctx.model.text.slice(run.span.start, run.span.end).replace(new RegExp(`\\b${word}\\b(?!=)`), `${word}==3`);
          return { title: `pin ${word}`, applicability: 'safe', edits: [{ start: run.span.start, end: run.span.end, text: line }] };
        }),
    };
    const r = await fixText('FROM x\nRUN pip install a b c\n', options(wholeLine));
    expect(r.text).toBe('FROM x\nRUN pip install a==3 b==3 c==3\n');
    expect(r.applied).toHaveLength(3);
  });

  it('findings without a fix request are "no fixer", with or without --offline (issue 9)', async () => {
    const text = 'FROM debian:12\nRUN apt-get update && apt-get upgrade -y\n';
    const options = (offline: boolean) => ({ rules: RULES.filter((x) => x.meta.id === 'apt-upgrade'), unsafe: false, offline, baseId: 10001 });
    for (const offline of [true, false]) {
      const r = await fixText(text, options(offline));
      expect(r.left.map((l) => [l.finding.rule, l.left, l.reason])).toEqual([['apt-upgrade', 'no-fixer', 'no automatic fix for this rule']]);
    }
  });

  it('has one fixer for each request kind, under its own kind, and every kind a rule declares has one', () => {
    for (const [kind, fixer] of Object.entries(FIXERS)) expect(fixer.kind).toBe(kind);
    for (const rule of RULES) for (const kind of rule.meta.fixable) expect(FIXERS[kind]?.kind).toBe(kind);
  });

  describe('build-context edits (--write-context)', () => {
    /** Pins requirement-file findings by editing the file (a fake path: the engine only passes edits on). */
    const contextFixer: Fixer<'pip-version'> = {
      kind: 'pip-version',
      fix: (findings, ctx) =>
        findings.map((f): FixResult =>
          ctx.writeContext && f.fix.requirementsFile !== undefined
            ? { title: `pin line ${f.fix.line}`, applicability: 'safe', edits: [], contextEdits: [{ path: `/ctx/${f.fix.requirementsFile}`, root: '/ctx', edits: [{ start: 0, end: 0, text: `# line ${f.fix.line}\n` }], expected: 'x' }] }
            : new NotFixed('pin it in the requirements file', 'no-fixer'),
        ),
    };
    const { workspace } = require('../helpers/workspace') as typeof import('../helpers/workspace');
    const { BuildContext } = require('../../src/context') as typeof import('../../src/context');
    const text = 'FROM python:3.12.7\nCOPY requirements.txt /tmp/\nRUN pip install -r /tmp/requirements.txt\n';
    const buildContext = () => new BuildContext(workspace({ 'requirements.txt': 'flask\nrequests==2.32.3\ndjango\n' }));

    it('collects them once per finding, keeps the Dockerfile unchanged, and does not leave those findings', async () => {
      const r = await fixText(text, options(contextFixer, { buildContext: buildContext(), writeContext: true }));
      expect(r.text).toBe(text);
      expect(r.contextEdits).toEqual([
        { path: '/ctx/requirements.txt', root: '/ctx', edits: [{ start: 0, end: 0, text: '# line 1\n' }], expected: 'x' },
        { path: '/ctx/requirements.txt', root: '/ctx', edits: [{ start: 0, end: 0, text: '# line 3\n' }], expected: 'x' },
      ]);
      expect(r.applied.map((a) => a.title)).toEqual(['pin line 1', 'pin line 3']);
      expect(r.left).toEqual([]);
    });

    it('without --write-context the findings are left with the fixer reason', async () => {
      const r = await fixText(text, options(contextFixer, { buildContext: buildContext() }));
      expect(r.contextEdits).toEqual([]);
      expect(r.left.map((l) => l.reason)).toEqual(['pin it in the requirements file', 'pin it in the requirements file']);
    });
  });
});
