/**
 * fast-check arbitraries for Dockerfiles: instructions with flags and quoting, shell bodies with operators,
 * subshells, command substitutions, heredocs and continuations, `# escape=` directives, then the bytes of a
 * file (LF / CRLF / CR-only / mixed line endings, optional BOM). Also mutations of real files.
 */
import fc from 'fast-check';

/** A generated file before encoding: its lines (no line breaks inside) and the escape character. */
export interface GeneratedFile {
  escape: '\\' | '`';
  lines: string[];
}

const ident = fc.stringMatching(/^[a-z][a-z0-9_]{0,7}$/);
const upperIdent = fc.stringMatching(/^[A-Z][A-Z0-9_]{0,7}$/);
const version = fc.stringMatching(/^[0-9]{1,2}(\.[0-9]{1,2}){0,2}$/);
const unicodeText = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 6 }),
  fc.constantFrom('é', 'ü', '日本語', '🐳', 'Ω≈ç', '\u200b', '\u00a0', 'ǅ', '\u0301'),
);
/** Text without line breaks (they are the encoder's business). */
const noBreaks = (s: string) => s.replace(/[\r\n]/g, ' ');

const image = fc
  .tuple(
    fc.constantFrom('alpine', 'debian', 'ubuntu', 'python', 'node', 'golang', 'rust', 'ghcr.io/o/r', 'localhost:5000/x', '${BASE}', '$IMG', 'scratch', 'build'),
    fc.option(fc.oneof(version, fc.constantFrom('latest', 'bookworm-slim', '3.12-alpine', '${TAG}', '${V:-1}')), { nil: undefined }),
    fc.option(fc.constant('@sha256:' + 'a'.repeat(64)), { nil: undefined }),
  )
  .map(([name, tag, digest]) => `${name}${tag ? `:${tag}` : ''}${digest ?? ''}`);

const from = fc
  .tuple(
    fc.option(fc.constantFrom('--platform=linux/amd64', '--platform=$BUILDPLATFORM', '--platform=${TARGETPLATFORM}'), { nil: undefined }),
    image,
    fc.option(ident, { nil: undefined }),
    fc.constantFrom('FROM', 'from', 'From'),
  )
  .map(([platform, img, as, kw]) => [kw, platform, img, as ? `AS ${as}` : undefined].filter(Boolean).join(' '));

const quotedValue = fc.oneof(
  version,
  ident,
  unicodeText.map((s) => `"${noBreaks(s).replace(/["\\]/g, '')}"`),
  fc.constantFrom('"a b"', "'x y'", '${A}', '$B', '${C:-d}', '"${D}/e"', '', '"', "'"),
);

const argOrEnv = fc.oneof(
  fc.tuple(fc.constantFrom('ARG', 'ENV'), upperIdent, fc.option(quotedValue, { nil: undefined })).map(([kw, k, v]) => (v === undefined ? `${kw} ${k}` : `${kw} ${k}=${v}`)),
  fc.tuple(upperIdent, quotedValue).map(([k, v]) => `ENV ${k} ${v}`),
);

/** Shell words, quoted in every way a RUN body quotes them. */
const word: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.oneof(ident, version, fc.constantFrom('-y', '--no-cache', '-u', '1000', '-r', 'requirements.txt', '/app', '.', '-', '--')) },
  fc.tuple(ident, fc.constantFrom('=', '==', '@', '~=', '>='), version).map(([p, op, v]) => p + op + v),
  ident.map((s) => `'${s} x'`),
  ident.map((s) => `"${s} $HOME"`),
  fc.constantFrom('$VAR', '${VAR}', '"$(id -u)"', '`date`', '$((1+2))', '~', '*.txt', '\\$x', "'it'\\''s'", '"a\\"b"', '2>&1', '>/dev/null', '<in'),
  unicodeText.map(noBreaks),
);

const program = fc.constantFrom(
  'apt-get install', 'apt-get update', 'apt-get upgrade', 'apk add', 'apk add --no-cache', 'dnf install -y', 'yum install',
  'pip install', 'pip3 install -r', 'python -m pip install', 'npm install', 'npm i -g', 'npm ci', 'yarn add', 'gem install',
  'go install', 'cargo install', 'useradd', 'useradd -m', 'groupadd', 'adduser -D', 'addgroup -S', 'curl -fsSL https://x.sh |',
  'wget -qO- http://x |', 'git clone', 'echo', 'cd', 'set -eux;', 'sh -c', 'bash -lc', 'export', 'RUN', 'mkdir -p', 'chown',
);

const simpleCommand = fc.tuple(program, fc.array(word, { maxLength: 4 })).map(([p, ws]) => [p, ...ws].join(' '));

/** A shell list: commands joined by && || ; |, with subshells, groups and $( ) nested to a bounded depth. */
const shell: fc.Arbitrary<string> = fc.letrec<{ list: string }>((tie) => ({
  list: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    simpleCommand,
    fc.tuple(tie('list'), fc.constantFrom(' && ', ' || ', '; ', ' | ', ' & ', '&&', ';'), tie('list')).map(([a, op, b]) => a + op + b),
    tie('list').map((l) => `(${l})`),
    tie('list').map((l) => `{ ${l}; }`),
    fc.tuple(program, tie('list')).map(([p, l]) => `${p} "$(${l})"`),
    fc.tuple(tie('list'), tie('list')).map(([c, b]) => `if ${c}; then ${b}; fi`),
  ),
})).list;

/** Splits a one-line body over continuation lines (escape char + line break) at spaces. */
function continued(body: string, escape: string, breaks: number[], indent: string): string[] {
  const words = body.split(' ');
  const cut = new Set(breaks.map((b) => (b % Math.max(1, words.length)) + 0));
  const out: string[] = [];
  let cur: string[] = [];
  words.forEach((w, i) => {
    cur.push(w);
    if (cut.has(i) && i < words.length - 1) {
      out.push(`${cur.join(' ')} ${escape}`);
      cur = [indent];
    }
  });
  out.push(cur.join(' '));
  return out;
}

const heredoc = fc
  .tuple(
    fc.constantFrom('EOF', 'EOT', '"EOF"', "'EOF'"),
    fc.boolean(),
    fc.array(shell, { minLength: 0, maxLength: 3 }),
    fc.constantFrom('RUN', 'COPY', 'RUN bash'),
    fc.boolean(),
  )
  .map(([tag, dash, body, kw, terminated]) => {
    const end = tag.replace(/["']/g, '');
    const head = kw === 'COPY' ? `COPY <<${dash ? '-' : ''}${tag} /etc/x.conf` : `${kw} <<${dash ? '-' : ''}${tag}`;
    return [head, ...body.map((l) => (dash ? `\t${l}` : l)), ...(terminated ? [end] : [])];
  });

const copyOrAdd = fc
  .tuple(
    fc.constantFrom('COPY', 'ADD', 'copy'),
    fc.array(fc.constantFrom('--from=build', '--from=alpine:3', '--chown=1000:1000', '--chown=app', '--chmod=755', '--link', '--checksum=sha256:' + 'b'.repeat(64), '--exclude=*.md', '--parents'), { maxLength: 2 }),
    fc.array(fc.constantFrom('.', 'requirements.txt', 'package*.json', 'package.json', 'package-lock.json', 'src/', 'https://example.com/a.tgz', 'git@github.com:o/r.git', '${SRC}', '"a b"'), { minLength: 1, maxLength: 3 }),
    fc.constantFrom('/', '/app/', '.', './', '/app/requirements.txt', 'dest', '$DEST'),
    fc.boolean(),
  )
  .map(([kw, flags, srcs, dest, json]) => (json ? `${kw} ${flags.join(' ')} ${JSON.stringify([...srcs, dest])}` : [kw, ...flags, ...srcs, dest].join(' ')));

const otherInstruction = fc.oneof(
  fc.tuple(fc.constantFrom('USER'), fc.oneof(ident, fc.constantFrom('1000', '1000:1000', 'root', '${UID}:${GID}', 'app:app'))).map(([k, v]) => `${k} ${v}`),
  fc.constantFrom('WORKDIR /app', 'WORKDIR sub', 'WORKDIR $HOME', 'SHELL ["/bin/bash", "-o", "pipefail", "-c"]', 'SHELL ["powershell", "-Command"]',
    'CMD ["node", "index.js"]', 'ENTRYPOINT ["/x"]', 'EXPOSE 80/tcp', 'LABEL a="b c"', 'VOLUME /data', 'STOPSIGNAL SIGTERM',
    'HEALTHCHECK CMD curl -f http://localhost/', 'MAINTAINER me', 'FOO bar', 'RUN', 'COPY', 'FROM', 'ARG', 'ENV', 'ONBUILD'),
  fc.tuple(fc.constantFrom('#', '# ', '  # '), unicodeText).map(([h, t]) => h + noBreaks(t)),
  fc.constantFrom('# hadolint ignore=DL3008', '# dockrepro-ignore apt-pin', '# dockrepro-ignore-next-line', '', '   ', '\t'),
);

const run = fc
  .tuple(
    fc.array(fc.constantFrom('--mount=type=cache,target=/root/.cache', '--mount=type=bind,from=build,source=/x,target=/y', '--network=none', '--mount=from=alpine:3,target=/m'), { maxLength: 2 }),
    shell,
    fc.boolean(),
  )
  .map(([flags, body, json]) => (json ? `RUN ${JSON.stringify(['sh', '-c', body])}` : ['RUN', ...flags, body].join(' ')));

/** One instruction as one logical line (continuations are added by `file`). */
const instruction: fc.Arbitrary<string> = fc.oneof(
  { weight: 2, arbitrary: from },
  argOrEnv,
  { weight: 4, arbitrary: run },
  copyOrAdd,
  otherInstruction,
  fc.oneof(run, copyOrAdd, from, otherInstruction).map((i) => `ONBUILD ${i}`),
);

const directives = fc.array(
  fc.oneof(
    fc.constantFrom('# escape=\\', '# escape=`', '#escape = `', '# syntax=docker/dockerfile:1', '# syntax=docker/dockerfile:1.7@sha256:' + 'c'.repeat(64), '# check=skip=all'),
    fc.constantFrom('# escape=x', '# escape=ab', '# escape='),
  ),
  { maxLength: 2 },
);

/** A whole Dockerfile as lines (heredoc bodies and continuations included). */
export const dockerfile: fc.Arbitrary<GeneratedFile> = fc
  .tuple(
    directives,
    fc.array(
      fc.oneof(
        { weight: 5, arbitrary: fc.tuple(instruction, fc.array(fc.nat(8), { maxLength: 3 }), fc.constantFrom('  ', '\t', '', '    ')) },
        heredoc.map((lines) => [lines.join('\n'), [] as number[], ''] as const),
      ),
      { maxLength: 14 },
    ),
  )
  .map(([dirs, items]) => {
    const chosen = dirs.find((d) => /escape\s*=\s*[`\\]$/.test(d));
    const escape = (chosen?.endsWith('`') ? '`' : '\\') as '\\' | '`';
    const lines = [...dirs];
    for (const [inst, breaks, indent] of items) {
      if (inst.includes('\n')) lines.push(...inst.split('\n'));
      else lines.push(...continued(inst, escape, breaks, indent));
    }
    return { escape, lines };
  });

export type LineEnding = 'lf' | 'crlf' | 'cr' | 'mixed';

export interface Encoding {
  ending: LineEnding;
  /** For 'mixed': the ending of each line (cycled). */
  mix: ('\n' | '\r\n' | '\r')[];
  bom: boolean;
  finalNewline: boolean;
}

export const encoding: fc.Arbitrary<Encoding> = fc.record({
  ending: fc.constantFrom<LineEnding>('lf', 'lf', 'crlf', 'cr', 'mixed'),
  mix: fc.array(fc.constantFrom<'\n' | '\r\n' | '\r'>('\n', '\r\n', '\r'), { minLength: 1, maxLength: 4 }),
  bom: fc.boolean(),
  finalNewline: fc.boolean(),
});

/** The file's text (BOM included when asked) with the chosen line endings. */
export function encode(lines: string[], e: Encoding): string {
  const eol = (i: number) => (e.ending === 'lf' ? '\n' : e.ending === 'crlf' ? '\r\n' : e.ending === 'cr' ? '\r' : e.mix[i % e.mix.length]);
  let text = lines.map((l, i) => (i < lines.length - 1 || e.finalNewline ? l + eol(i) : l)).join('');
  if (e.bom) text = `\uFEFF${text}`;
  return text;
}

/** Edits a fuzzer makes to real files: characters and lines inserted, deleted, duplicated; endings swapped. */
export type Mutation =
  | { kind: 'insert-char'; at: number; text: string }
  | { kind: 'delete-chars'; at: number; length: number }
  | { kind: 'duplicate-line'; line: number }
  | { kind: 'delete-line'; line: number }
  | { kind: 'insert-line'; line: number; text: string }
  | { kind: 'swap-endings'; to: '\n' | '\r\n' | '\r' };

const interesting = fc.constantFrom('\\', '`', '"', "'", '$', '(', ')', '{', '}', '<<', '&&', '|', ';', '#', '\n', '\r', '\r\n', ' ', '\t', '=', '@', ':', 'é', '🐳', '\u00a0', '--');

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('insert-char' as const), at: fc.nat(), text: fc.oneof(interesting, fc.string({ unit: 'grapheme', maxLength: 3 })) }),
  fc.record({ kind: fc.constant('delete-chars' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 12 }) }),
  fc.record({ kind: fc.constant('duplicate-line' as const), line: fc.nat() }),
  fc.record({ kind: fc.constant('delete-line' as const), line: fc.nat() }),
  fc.record({ kind: fc.constant('insert-line' as const), line: fc.nat(), text: fc.oneof(instruction, interesting) }),
  fc.record({ kind: fc.constant('swap-endings' as const), to: fc.constantFrom<'\n' | '\r\n' | '\r'>('\n', '\r\n', '\r') }),
);

export function mutate(text: string, m: Mutation): string {
  switch (m.kind) {
    case 'insert-char': {
      const at = m.at % (text.length + 1);
      return text.slice(0, at) + m.text + text.slice(at);
    }
    case 'delete-chars': {
      const at = m.at % (text.length + 1);
      return text.slice(0, at) + text.slice(at + m.length);
    }
    case 'swap-endings':
      return text.replace(/\r\n|\r|\n/g, m.to);
    default: {
      const lines = text.split('\n');
      const i = m.line % lines.length;
      if (m.kind === 'duplicate-line') lines.splice(i, 0, lines[i]);
      else if (m.kind === 'delete-line') lines.splice(i, 1);
      else lines.splice(i, 0, m.text);
      return lines.join('\n');
    }
  }
}

/**
 * Big inputs, bounded: many instructions, long lines, deep nesting, long && chains, many continuations.
 * `scale` (0..1] shrinks the upper bounds (the suite's bounded run uses a fraction of them).
 */
export function huge(scale = 1): fc.Arbitrary<BigInput> {
  const size = (min: number, max: number) => fc.integer({ min, max: Math.max(min, Math.round(max * scale)) });
  return fc.oneof<fc.Arbitrary<string>[]>(
    size(100, 3000).map((n) => `FROM alpine\n${Array.from({ length: n }, (_, i) => `RUN useradd u${i}`).join('\n')}\n`),
    size(100, 3000).map((n) => `FROM alpine\nRUN ${Array.from({ length: n }, (_, i) => `apk add p${i}`).join(' && ')}\n`),
    size(50, 400).map((n) => `FROM alpine\nRUN ${'('.repeat(n)}true${')'.repeat(n)}\n`),
    size(50, 300).map((n) => `FROM alpine\nRUN echo ${'"$('.repeat(n)}id${')"'.repeat(n)}\n`),
    size(50, 400).map((n) => `FROM alpine\nRUN ${'{ '.repeat(n)}true${'; }'.repeat(n)}\n`),
    size(1000, 100_000).map((n) => `FROM alpine\nRUN echo ${'x'.repeat(n)}\n`),
    size(100, 3000).map((n) => `FROM alpine\nRUN pip install \\\n${Array.from({ length: n }, (_, i) => `  pkg${i} \\`).join('\n')}\n  last\n`),
    size(50, 500).map((n) => Array.from({ length: n }, (_, i) => `FROM alpine:${i} AS s${i}\nCOPY --from=s${Math.max(0, i - 1)} /a /a`).join('\n')),
    size(100, 2000).map((n) => `FROM alpine\nRUN <<EOF\n${'echo hi\n'.repeat(n)}EOF\n`),
    size(50, 2000).map((n) => `FROM alpine\nRUN ${'if true; then '.repeat(n)}useradd x${'; fi'.repeat(n)}\n`),
    size(50, 2000).map((n) => `FROM alpine\nRUN ${'$('.repeat(n)}\n`),
    size(50, 2000).map((n) => `ARG A=${'${B:-'.repeat(n)}x${'}'.repeat(n)}\nFROM alpine:$A\n`),
  ).map(bigInput);
}

/** A big generated text that a failure report shows by its size and start, not in full. */
export interface BigInput {
  text: string;
}

function bigInput(text: string): BigInput {
  return {
    text,
    [fc.toStringMethod]: () => `${text.length} chars: ${JSON.stringify(text.slice(0, 160))}…`,
  } as BigInput;
}
