import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fixer from '../../src/fixers/explicit-id';
import { FIXERS } from '../../src/fixers/index';
import { isFix, type Fix, type FindingOf } from '../../src/fixers/types';
import { asData, findingsOf } from '../helpers/fixerTable';
import { applyEdits } from '../../src/edit/apply';
import { parseDockerfile } from '../../src/parse/dockerfile';
import { lintModel } from '../../src/lint';
import type { ExplicitIdRequest } from '../../src/findings/fixRequests';
import rule from '../../src/rules/useradd-uid';
import { Lookups } from '../../src/resolve/shared';

const GOLDEN = join(__dirname, 'golden', 'explicit-id');
const CASES = readdirSync(GOLDEN).filter((f) => f.endsWith('.in.Dockerfile')).map((f) => f.slice(0, -'.in.Dockerfile'.length)).sort();

/** Lints `text` with useradd-uid and runs the fixer on the findings. */
function fixAll(text: string, baseId = 10001, reorder?: (f: FindingOf<'explicit-id'>[]) => FindingOf<'explicit-id'>[]) {
  const model = parseDockerfile(text);
  let findings = findingsOf(lintModel(model, { rules: [rule] }), 'explicit-id');
  if (reorder) findings = reorder(findings);
  const results = fixer.fix(findings, { model, baseId, lookups: new Lookups(), findings });
  if (!Array.isArray(results)) throw new Error('the explicit-id fixer answers at once without image files');
  return { model, findings, results };
}

/** Each result as its title, or `left: reason`. */
function outcomes(code: string, baseId?: number): string[] {
  return fixAll(`FROM example.com/base:1\n${code}`, baseId).results.map((r) => (isFix(r) ? r.title : `${r.left}: ${r.reason}`));
}

function fixedText(code: string, baseId?: number): string {
  const { results } = fixAll(code, baseId);
  return applyEdits(code, results.flatMap((r) => (isFix(r) ? r.edits : [])));
}

describe('explicit-id fixer', () => {
  it('is registered for its request kind', () => {
    expect(FIXERS['explicit-id']).toBe(fixer);
  });

  describe('golden files', () => {
    it('covers the required forms', () => {
      expect(CASES).toEqual(expect.arrayContaining([
        'shadow', 'debian', 'busybox', 'group-user-pair', 'several-users', 'used-ids', 'crlf', 'escape-backtick',
        'heredoc', 'sh-c', 'onbuild', 'multi-stage', 'arg-id', 'exec-form',
      ]));
      // Guards against a checkout that converted the line endings (see golden/explicit-id/.gitattributes).
      expect(readFileSync(join(GOLDEN, 'crlf.in.Dockerfile'), 'utf8')).toMatch(/\r\n/);
      expect(readFileSync(join(GOLDEN, 'crlf.out.Dockerfile'), 'utf8').split('\r\n')).toHaveLength(6);
    });

    it('an id from an ARG, known or not, is no finding at all (arg-id)', () => {
      const { model, findings } = fixAll(readFileSync(join(GOLDEN, 'arg-id.in.Dockerfile'), 'utf8'));
      expect(findings.map((f) => model.text.slice(f.span.start, f.span.end))).toEqual(['bob']);
    });

    it.each(CASES)('%s', (name) => {
      const input = readFileSync(join(GOLDEN, `${name}.in.Dockerfile`), 'utf8');
      const expected = readFileSync(join(GOLDEN, `${name}.out.Dockerfile`), 'utf8');
      const { model, findings, results } = fixAll(input);
      expect(findings.length).toBeGreaterThan(0);
      expect(results).toHaveLength(findings.length);
      for (const r of results) {
        expect(r).toMatchObject({ applicability: 'unsafe' });
        expect(isFix(r) && r.edits.every((e) => e.start === e.end)).toBe(true); // insertions only
      }
      const output = applyEdits(input, results.flatMap((r) => (isFix(r) ? r.edits : [])));
      expect(output).toBe(expected);

      // The result lints clean, parses as well as the input did, and a second run has nothing to do.
      const again = fixAll(output);
      expect(again.findings).toEqual([]);
      expect(again.results).toEqual([]);
      const problems = (m: typeof model) => m.runs.flatMap((r) => r.problems);
      expect(problems(again.model)).toEqual(problems(model));
      // Same input, same ids.
      expect(fixAll(input).results).toEqual(results);
    });
  });

  describe('ids', () => {
    it.each([
      ['starts at the base id', 'RUN useradd app', undefined, ["add --uid 10001 to useradd 'app'"]],
      ['configured base id', 'RUN useradd app && groupadd ops', 20000, ["add --uid 20000 to useradd 'app'", "add --gid 20001 to groupadd 'ops'"]],
      ['never nobody/nogroup or 65535', 'RUN useradd a && useradd b && useradd c', 65533,
        ["add --uid 65533 to useradd 'a'", "add --uid 65536 to useradd 'b'", "add --uid 65537 to useradd 'c'"]],
      ['users and groups share one pool (a private group takes the uid)', 'RUN groupadd -g 10001 g && useradd app', undefined,
        ["add --uid 10002 to useradd 'app'"]],
      ['an explicit uid is skipped for groups too', 'RUN useradd -u 10001 a && groupadd g', undefined, ["add --gid 10002 to groupadd 'g'"]],
      ['USER and COPY --chown ids are used', 'USER 10001\nCOPY --chown=10002:10003 a /a\nRUN useradd app', undefined,
        ["add --uid 10004 to useradd 'app'"]],
      ['usermod/groupmod ids are used', 'RUN usermod -u 10001 x && groupmod --gid=10002 y && useradd app', undefined,
        ["add --uid 10003 to useradd 'app'"]],
      ['-G lists and glued values are used', 'RUN useradd -u10001 -G 10002,wheel a && useradd b', undefined, ["add --uid 10003 to useradd 'b'"]],
      ['an ARG default used as id is used', 'ARG UID=10001\nRUN useradd -u "$UID" a && useradd b', undefined, ["add --uid 10002 to useradd 'b'"]],
      ['a user name that looks like an id is not an id', 'RUN useradd 10001', undefined, ["add --uid 10001 to useradd '10001'"]],
    ])('%s', (_name, code, baseId, expected) => {
      expect(outcomes(code, baseId)).toEqual(expected);
    });

    it('follows source order whatever order the findings come in, and answers in their order', () => {
      const code = 'FROM x\nRUN useradd a\nRUN groupadd b\nRUN useradd -g b c && useradd -g b d\n';
      const { results } = fixAll(code, 10001, (f) => [...f].reverse());
      expect(results.map((r) => (r as Fix).title)).toEqual([
        "add --uid 10003 to useradd 'd'",
        "add --uid 10002 to useradd 'c' (the gid of its group 'b')",
        "add --gid 10002 to groupadd 'b' (the uid of its user 'c')",
        "add --uid 10001 to useradd 'a'",
      ]);
    });
  });

  describe('group and user pairs', () => {
    it.each([
      ['shadow pair', 'RUN groupadd app && useradd -g app app', ["add --gid 10001 to groupadd 'app' (the uid of its user 'app')", "add --uid 10001 to useradd 'app' (the gid of its group 'app')"]],
      ['the group need not share the name', 'RUN groupadd web && useradd --gid=web www', ["add --gid 10001 to groupadd 'web' (the uid of its user 'www')", "add --uid 10001 to useradd 'www' (the gid of its group 'web')"]],
      ['busybox -G', 'RUN addgroup -S app && adduser -S -G app app', ["add -g 10001 to addgroup 'app' (the uid of its user 'app')", "add -u 10001 to adduser 'app' (the gid of its group 'app')"]],
      ['Debian --ingroup', 'RUN addgroup --system app && adduser --system --ingroup app app', ["add --gid 10001 to addgroup 'app' (the uid of its user 'app')", "add --uid 10001 to adduser 'app' (the gid of its group 'app')"]],
      ['a group name from an ARG', 'ARG G=app\nRUN groupadd "$G" && useradd -g "${G}" u', ["add --gid 10001 to groupadd 'app' (the uid of its user 'u')", "add --uid 10001 to useradd 'u' (the gid of its group 'app')"]],
      ['shadow -G is a supplementary group', 'RUN groupadd app && useradd -G app u', ["add --gid 10001 to groupadd 'app'", "add --uid 10002 to useradd 'u'"]],
      ['busybox -g is the GECOS', 'RUN addgroup -S app && adduser -D -g app u', ["add -g 10001 to addgroup 'app'", "add -u 10002 to adduser 'u'"]],
      ['a numeric primary group is not a pair', 'RUN groupadd app && useradd -g 100 u', ["add --gid 10001 to groupadd 'app'", "add --uid 10002 to useradd 'u'"]],
      ['a group created after the user is not its primary group', 'RUN useradd -g app u; groupadd app', ["add --uid 10001 to useradd 'u'", "add --gid 10002 to groupadd 'app'"]],
      ['the nearest earlier group of that name', 'RUN groupadd app\nFROM example.com/other:1\nRUN groupadd app && useradd -g app u', ["add --gid 10001 to groupadd 'app'", "add --gid 10002 to groupadd 'app' (the uid of its user 'u')", "add --uid 10002 to useradd 'u' (the gid of its group 'app')"]],
      ['not across unrelated stages', 'RUN groupadd app\nFROM example.com/other:1\nRUN useradd -g app u', ["add --gid 10001 to groupadd 'app'", "add --uid 10002 to useradd 'u'"]],
      ['not between ONBUILD and the stage itself', 'ONBUILD RUN groupadd app\nRUN useradd -g app u', ["add --gid 10001 to groupadd 'app'", "add --uid 10002 to useradd 'u'"]],
      ['only the nearest group of that name', 'RUN groupadd app && useradd -g app a && groupadd app && useradd -g app b', ["add --gid 10001 to groupadd 'app' (the uid of its user 'a')", "add --uid 10001 to useradd 'a' (the gid of its group 'app')", "add --gid 10002 to groupadd 'app' (the uid of its user 'b')", "add --uid 10002 to useradd 'b' (the gid of its group 'app')"]],
      ['an explicit gid is not copied to the user', 'RUN groupadd -g 10001 app && useradd -g app u', ["add --uid 10002 to useradd 'u'"]],
    ])('%s', (_name, code, expected) => {
      expect(outcomes(code)).toEqual(expected);
    });
  });

  describe('edits', () => {
    it.each([
      ['right after the program word', 'RUN useradd  -m\tapp', 'RUN useradd --uid 10001  -m\tapp'],
      ['after wrappers', 'RUN sudo -E env HOME=/ useradd app', 'RUN sudo -E env HOME=/ useradd --uid 10001 app'],
      ['absolute path', 'RUN /usr/sbin/useradd app', 'RUN /usr/sbin/useradd --uid 10001 app'],
      ['busybox applet', 'RUN busybox adduser -D app', 'RUN busybox adduser -u 10001 -D app'],
      ['quoted program word', 'RUN "useradd" app', 'RUN "useradd" --uid 10001 app'],
      ['continuation right after the program', 'RUN useradd \\\n  app', 'RUN useradd --uid 10001 \\\n  app'],
      ['exec form, compact', 'RUN ["useradd","app"]', 'RUN ["useradd","--uid","10001","app"]'],
      ['exec form, spaced', 'RUN [ "adduser", "-D", "app" ]', 'RUN [ "adduser", "-u", "10001", "-D", "app" ]'],
      ['exec form over lines', 'RUN ["useradd", \\\n  "app"]', 'RUN ["useradd", "--uid", "10001", \\\n  "app"]'],
      ['exec form with JSON escapes in the program', 'RUN ["user\\u0061dd", "app"]', 'RUN ["user\\u0061dd", "--uid", "10001", "app"]'],
      ['sh -c inside exec form', 'RUN ["/bin/sh", "-c", "groupadd g && useradd -g g u"]', 'RUN ["/bin/sh", "-c", "groupadd --gid 10001 g && useradd --uid 10001 -g g u"]'],
    ])('%s', (_name, code, expected) => {
      const from = 'FROM example.com/base:1\n';
      expect(fixedText(from + code)).toBe(from + expected);
    });
  });

  describe('no fix', () => {
    it.each([
      ['unknown name', 'ARG USER\nRUN useradd -m $USER', "no-fixer: the user name $USER is not known (an ARG without a default?): add '--uid N' by hand"],
      ['no name', 'RUN useradd -m', 'no-fixer: useradd names no user: nothing to give an id to'],
      ['no name (xargs)', 'RUN echo ops | xargs groupadd', 'no-fixer: groupadd names no group: nothing to give an id to'],
      ['program from a variable', 'ARG USERADD=useradd\nRUN $USERADD app', "no-fixer: the program word '$USERADD' comes from $USERADD: add '--uid N' by hand"],
      ['program split by a continuation', 'RUN user\\\nadd app', "no-fixer: the program word 'user\\\nadd' is written with a line continuation or escapes in it: add '--uid N' by hand"],
    ])('%s', (_name, code, expected) => {
      expect(outcomes(code)).toEqual([expected]);
    });

    it('a finding left as it is takes no id', () => {
      expect(outcomes('ARG U\nRUN useradd -m $U\nRUN useradd app')[1]).toBe("add --uid 10001 to useradd 'app'");
    });

    // A malformed request (two ids, an unknown style) no longer compiles: src/findings/fixRequests.ts.
    it('a finding that points at no command, a stale request', () => {
      const text = 'FROM x\nRUN useradd -u 5 app && echo app\n';
      const model = parseDockerfile(text);
      const at = (s: string, from = 0) => ({ start: text.indexOf(s, from), end: text.indexOf(s, from) + s.length });
      const request: ExplicitIdRequest = { kind: 'explicit-id', command: 'useradd', style: 'shadow', name: 'app', needs: ['uid'] };
      const finding = (span: { start: number; end: number }): FindingOf<'explicit-id'> => ({ rule: 'useradd-uid', severity: 'warning', message: 'm', span, fix: request });
      const results = fixer.fix([finding(at('app', text.indexOf('echo'))), finding(at('app'))], { model, baseId: 10001, lookups: new Lookups(), findings: [] });
      if (!Array.isArray(results)) throw new Error('the explicit-id fixer answers at once without image files');
      expect(results.map(asData)).toEqual([
        { left: 'failed', reason: 'cannot find the useradd command this finding points at' },
        { left: 'failed', reason: "useradd 'app' already has a uid" },
      ]);
    });
  });
});
