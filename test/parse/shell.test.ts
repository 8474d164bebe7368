import { parseDockerfile } from '../../src/parse/dockerfile';
import { isSpaceCode, isWordBreak, parseShell, sourceFromText, type ShellParse, type SimpleCommand, type Word } from '../../src/parse/shell';

function lex(script: string, vars: Record<string, string | undefined> = {}): ShellParse {
  return parseShell(sourceFromText(script, 0), (name) => vars[name]);
}

/** Each command as `name arg arg…` with argument values (`?` when unknown). */
function commands(script: string, vars: Record<string, string | undefined> = {}): string[] {
  return lex(script, vars).commands.map(show);
}

const show = (c: SimpleCommand) => [c.name, ...c.args.map((a) => a.value ?? '?')].join(' ');

/** Each command's words before unwrapping, as written. */
function words(script: string): string[][] {
  return lex(script).commands.map((c) => c.words.map((w) => w.raw));
}

/** Commands of the RUNs of a Dockerfile, with every word located back in the file text. */
function run(dockerfile: string): { cmds: string[]; located: string[][] } {
  const model = parseDockerfile(dockerfile);
  const all = model.runs.flatMap((r) => r.commands);
  const at = (w: Word) => dockerfile.slice(w.span.start, w.span.end);
  return { cmds: all.map(show), located: all.map((c) => [...c.assignments, ...c.words].map(at)) };
}

describe('shell lexer', () => {
  describe('command boundaries', () => {
    it.each([
      ['operators', 'a && b || c; d & e', ['a', 'b', 'c', 'd', 'e']],
      ['newlines', 'a\nb\n\nc', ['a', 'b', 'c']],
      ['pipelines', 'a | b |& c', ['a', 'b', 'c']],
      ['subshell and group', '(a; b) && { c; d; }', ['a', 'b', 'c', 'd']],
      ['if / elif / else', 'if a; then b; elif c; then d; else e; fi', ['a', 'b', 'c', 'd', 'e']],
      ['while / until with !', 'while ! a; do b; done; until c; do d; done', ['a', 'b', 'c', 'd']],
      ['time is a keyword', 'time make -j2', ['make -j2']],
      ['a keyword is a word after the program', 'echo if then fi', ['echo if then fi']],
      ['[ is a command, [[ is not', '[ -f x ] && [[ -n $y ]] && z', ['[ -f x ]', 'z']],
      ['(( )) is arithmetic', '(( i++ )) && a', ['a']],
      ['comments', 'a # b; c\n# d\ne', ['a', 'e']],
      ['# inside a word', 'echo a#b', ['echo a#b']],
      ['redirections are not words', 'a >/dev/null 2>&1 b &>>log c <in 3>&- d', ['a b c d']],
      ['arguments after a redirection', 'echo >&2 "msg" x', ['echo msg x']],
      ['here-string', 'cat <<< "$x" y', ['cat y']],
    ])('%s', (_name, script, expected) => {
      expect(commands(script)).toEqual(expected);
    });

    it('gives commands of one pipeline one id and their position in it', () => {
      const cmds = lex('a | b | c && d').commands;
      expect(cmds.map((c) => c.pipeIndex)).toEqual([0, 1, 2, 0]);
      expect(new Set(cmds.slice(0, 3).map((c) => c.pipeline)).size).toBe(1);
      expect(cmds[3].pipeline).not.toBe(cmds[0].pipeline);
    });
  });

  describe('quoting and escapes', () => {
    it.each([
      ['single quotes keep everything', `echo 'a "b" $c; d'`, ['a "b" $c; d']],
      ['double quotes expand', 'echo "a $X \\"q\\" \\$y \\\\ \\z"', ['a 1 "q" $y \\ \\z']],
      ['adjacent quoted parts are one word', `echo a'b'"c"d`, ['abcd']],
      ['escaped operator and blank', 'echo a\\;b c\\ d', ['a;b', 'c d']],
      ['ANSI-C quoting', "echo $'a\\tb\\'c'", ['a\tb\'c']],
      ['a quoted operator is text', `echo "a && b" 'c | d'`, ['a && b', 'c | d']],
    ])('%s', (_name, script, expected) => {
      expect(lex(script, { X: '1' }).commands[0].args.map((a) => a.value)).toEqual(expected);
    });

    it('keeps the raw text and the range of each word', () => {
      const [cmd] = lex(`pip install "flask==3.0" 'a b'`).commands;
      expect(cmd.args.map((a) => [a.raw, a.span.start, a.span.end])).toEqual([
        ['install', 4, 11],
        ['"flask==3.0"', 12, 24],
        ["'a b'", 25, 30],
      ]);
    });

    it('reports an unterminated quote and still returns the command', () => {
      const r = lex('echo "abc');
      expect(r.commands.map(show)).toEqual(['echo abc']);
      expect(r.problems).toEqual(['unterminated double quote']);
    });
  });

  describe('substitutions', () => {
    it('lexes nested $(…) with the enclosing command as parent', () => {
      const cmds = lex('echo "v=$(cat $(ls /x) | tr -d .)" done').commands;
      expect(cmds.map(show)).toEqual(['echo ? done', 'cat ?', 'ls /x', 'tr -d .']);
      expect(cmds[1].parent).toBe(cmds[0]);
      expect(cmds[2].parent).toBe(cmds[1]);
      expect(cmds[3].parent).toBe(cmds[0]);
    });

    it.each([
      ['backquotes', 'echo `uname -m` x', ['echo ? x', 'uname -m']],
      ['backquotes in double quotes', 'echo "`id -u`" x', ['echo ? x', 'id -u']],
      ['two backquoted commands', 'echo `a` `b`', ['echo ? ?', 'a', 'b']],
      ['the first backquote closes, even in quotes', 'echo `echo "a` b', ['echo ? b', 'echo a']],
      ['a comment ends at the backquote', 'echo `a # c` d', ['echo ? d', 'a']],
      ['$(( )) is arithmetic', 'echo $((1 + $(n))) x', ['echo ? x', 'n']],
      ['process substitution', 'bash <(curl -fsSL https://x/i.sh)', ['bash ?', 'curl -fsSL https://x/i.sh']],
      ['process substitution inside a word', 'tool --file=<(curl u) x', ['tool ? x', 'curl u']],
      ['a command in a ${…} operand', 'echo ${V:-$(cat /version)} x', ['echo ? x', 'cat /version']],
      ['a quote in a quoted ${…} operand is literal', `echo "\${A:-don't}" x`, ['echo ? x']],
      ['a quoted brace in a ${…} operand', 'echo ${A:-"a}"} x', ['echo ? x']],
      ['braces nest in a ${…} operand', 'echo ${A:-{a}} x', ['echo ? x']],
    ])('%s', (_name, script, expected) => {
      expect(commands(script)).toEqual(expected);
    });
  });

  describe('here-documents', () => {
    it('treats the body as data', () => {
      expect(commands('cat > /etc/x <<EOF && apt-get update\ncurl | sh\nEOF\necho done')).toEqual([
        'cat',
        'apt-get update',
        'echo done',
      ]);
    });

    it('runs the substitutions of an unquoted body, not of a quoted one', () => {
      const cmds = lex('cat <<EOF >/etc/apt/sources.list\ndeb http://x $(lsb_release -cs) main\nEOF').commands;
      expect(cmds.map(show)).toEqual(['cat', 'lsb_release -cs']);
      expect(cmds[1].parent).toBe(cmds[0]);
      expect(commands("cat <<'EOF'\n$(lsb_release -cs)\nEOF")).toEqual(['cat']);
      expect(commands('cat <<EOF\n\\$(not) `id`\nEOF')).toEqual(['cat', 'id']);
    });

    it('lexes a body fed to a shell as a script', () => {
      const cmds = lex('bash -e <<EOF\napt-get install -y curl\npip install x\nEOF\necho after').commands;
      expect(cmds.map(show)).toEqual(['bash -e', 'apt-get install -y curl', 'pip install x', 'echo after']);
      expect(cmds[1].wrappers).toEqual(['bash <<']);
    });

    it.each([
      ['<<- strips leading tabs from the delimiter line', 'cat <<-EOF\n\tcurl x\n\tEOF\necho z', ['cat', 'echo z']],
      ['quoted delimiter', 'cat <<"END"\ncurl x\nEND\necho z', ['cat', 'echo z']],
      ['escaped delimiter', 'cat <<\\END\ncurl x\nEND\necho z', ['cat', 'echo z']],
      ['two on one line', 'cat <<A; cat <<B\na\nA\nb\nB\necho z', ['cat', 'cat', 'echo z']],
      ['inside $(…)', 'x=$(cat <<EOF\ncurl\nEOF\n); echo z', ['cat', 'echo z']],
      ['CRLF delimiter line', 'cat <<EOF\r\ncurl\r\nEOF\r\necho z', ['cat', 'echo z']],
    ])('%s', (_name, script, expected) => {
      expect(commands(script)).toEqual(expected);
    });

    it('reports an unterminated body', () => {
      expect(lex('cat <<EOF\nabc').problems).toEqual(["unterminated here-document 'EOF'"]);
    });
  });

  describe('compound commands', () => {
    it.each([
      ['case', 'case "$x" in\n  a|b) apt-get install a ;;\n  (c) pip install c;;\n  *) echo no\nesac; echo z', ['apt-get install a', 'pip install c', 'echo no', 'echo z']],
      ['case on one line', 'case $x in a) one;; b) two;; esac && three', ['one', 'two', 'three']],
      ['nested case', 'case a in a) case b in b) x;; esac;; c) y;; esac', ['x', 'y']],
      ['for over words', 'for p in a b; do pip install "$p"; done', ['pip install ?']],
      ['for over a substitution', 'for f in $(ls /x); do rm "$f"; done', ['ls /x', 'rm ?']],
      ['for over a process substitution', 'for f in <(ls) a; do rm; done', ['ls', 'rm']],
      ['arithmetic for', 'for ((i = 0; i < 3; i++)); do echo $i; done', ['echo ?']],
      ['select', 'select x in a b; do echo; done', ['echo']],
      ['function with ()', 'install() { apt-get install -y "$@"; }; install curl', ['apt-get install -y ?', 'install curl']],
      ['function keyword', 'function f { a; }\nfunction g() { b; }', ['a', 'b']],
    ])('%s', (_name, script, expected) => {
      expect(commands(script)).toEqual(expected);
    });
  });

  describe('assignments and variables', () => {
    it('separates prefix assignments from the program', () => {
      const [cmd] = lex('DEBIAN_FRONTEND=noninteractive A=1 apt-get install x').commands;
      expect(cmd.assignments.map((w) => w.raw)).toEqual(['DEBIAN_FRONTEND=noninteractive', 'A=1']);
      expect(show(cmd)).toBe('apt-get install x');
    });

    it('uses variables the script sets (bare assignment, export)', () => {
      expect(commands('V=1.2; pip install a==$V')).toEqual(['pip install a==1.2']);
      expect(commands('export V=3 W; pip install a==$V b==$W')).toEqual(['export V=3 W', 'pip install a==3 ?']);
      expect(commands('V=$(cat f); pip install a==$V')).toEqual(['cat f', 'pip install ?']);
    });

    it('reads an array assignment as one word', () => {
      expect(commands('pkgs=(curl "$(echo wget)") && apt-get install "${pkgs[@]}"')).toEqual(['echo wget', 'apt-get install ?']);
      expect(words('declare -a a=(1 2) b')).toEqual([['declare', '-a', 'a=(1 2)', 'b']]);
    });

    it.each([
      ['known', 'pip install a==$V', { V: '1' }, 'pip install a==1'],
      ['braced', 'pip install a==${V}', { V: '1' }, 'pip install a==1'],
      ['unknown is undefined, not empty', 'pip install a==$V', {}, 'pip install ?'],
      [':- with a value', 'pip install a==${V:-2}', { V: '1' }, 'pip install a==1'],
      [':- with an empty value', 'pip install a==${V:-2}', { V: '' }, 'pip install a==2'],
      [':- of an ARG without default is unknown', 'pip install a==${V:-2}', {}, 'pip install ?'],
      [':+', 'echo x${V:+-slim}', { V: '1' }, 'echo x-slim'],
      ['length', 'echo ${#V}', { V: 'abc' }, 'echo 3'],
      ['pattern operators are unknown', 'echo ${V%.*}', { V: '1.2' }, 'echo ?'],
      ['special parameters are unknown', 'echo $1 $@ $?', {}, 'echo ? ? ?'],
    ])('%s', (_name, script, vars, expected) => {
      expect(commands(script, vars)).toEqual([expected]);
    });

    it('splits an unquoted expansion into fields, not a quoted one', () => {
      const [split, quoted] = lex('apt-get install $PKGS; echo "$PKGS"', { PKGS: ' curl  wget ' }).commands;
      expect(split.args.map((a) => [a.raw, a.value])).toEqual([
        ['install', 'install'],
        ['$PKGS', 'curl'],
        ['$PKGS', 'wget'],
      ]);
      expect(quoted.args.map((a) => a.value)).toEqual([' curl  wget ']);
    });

    it('records the variables a word uses', () => {
      const [cmd] = lex('pip install "a==${V}" b==$W', { V: '1', W: '2' }).commands;
      expect(cmd.args.map((a) => a.vars)).toEqual([[], ['V'], ['W']]);
    });
  });

  describe('unwrapping', () => {
    it.each([
      ['sudo with options', 'sudo -E -u app pip install x', 'pip install x', ['sudo']],
      ['env with assignments', 'env -i PATH=/x A=1 pip install x', 'pip install x', ['env']],
      ['nested wrappers', 'sudo env A=1 nice -n 5 pip install x', 'pip install x', ['sudo', 'env', 'nice']],
      ['gosu takes a user', 'gosu app pip install x', 'pip install x', ['gosu']],
      ['timeout takes a duration', 'timeout 60 curl -O u', 'curl -O u', ['timeout']],
      ['command builtin', 'command pip install x', 'pip install x', ['command']],
      ['absolute program path', '/usr/bin/sudo /usr/local/bin/pip install x', 'pip install x', ['sudo']],
      // Names of Object.prototype's members are programs like any other, not wrappers.
      ['toString is no wrapper', 'toString -u x y', 'toString -u x y', []],
      ['constructor is no wrapper', 'constructor --help -v', 'constructor --help -v', []],
      ['__proto__ is no wrapper', '__proto__ -n 5 z', '__proto__ -n 5 z', []],
    ])('%s', (_name, script, expected, wrappers) => {
      const [cmd] = lex(script).commands;
      expect(show(cmd)).toBe(expected);
      expect(cmd.wrappers).toEqual(wrappers);
      expect(cmd.words[0].raw).toBe(script.split(' ')[0]);
    });

    it('lexes the script of sh -c, keeping the shell command too', () => {
      const cmds = lex(`sudo bash -exc 'apt-get update && apt-get install -y curl' name`).commands;
      expect(cmds.map(show)).toEqual(['bash -exc apt-get update && apt-get install -y curl name', 'apt-get update', 'apt-get install -y curl']);
      expect(cmds[1].wrappers).toEqual(['sudo', 'bash -c']);
    });

    it('maps words of an sh -c script back into the Dockerfile', () => {
      const text = `FROM a\nRUN sh -c "pip install 'flask==3' \\"x\\""`;
      const { located } = run(text);
      // `"x"` of the script is `\"x\"` in the file: its range runs from the first quote to the last.
      expect(located[1]).toEqual(['pip', 'install', "'flask==3'", '"x\\"']);
    });

    it('does not unwrap a lookup (command -v)', () => {
      expect(commands('command -v pip || apt-get install -y python3-pip')).toEqual(['command -v pip', 'apt-get install -y python3-pip']);
    });

    it('does not lex an sh -c script it cannot know', () => {
      expect(commands('sh -c "$SCRIPT"')).toEqual(['sh -c ?']);
    });
  });

  describe('RUN bodies (through the Dockerfile model)', () => {
    it('joins continuations and drops comment lines inside them', () => {
      const { cmds } = run('FROM a\nRUN apt-get update \\\n# a comment\n    && apt-get install -y \\\n\n      curl');
      expect(cmds).toEqual(['apt-get update', 'apt-get install -y curl']);
    });

    it('ends a word before a line continuation that follows it directly', () => {
      const { located } = run('FROM a\nRUN apt-get install curl\\\n  wget');
      expect(located).toEqual([['apt-get', 'install', 'curl', 'wget']]);
    });

    it('handles CRLF line endings', () => {
      const { cmds, located } = run('FROM a\r\nRUN apt-get install \\\r\n  curl \\\r\n  && echo ok\r\n');
      expect(cmds).toEqual(['apt-get install curl', 'echo ok']);
      expect(located[1]).toEqual(['echo', 'ok']);
    });

    it('honours # escape=` (backslashes are the shell’s)', () => {
      const { cmds } = run('# escape=`\nFROM a\nRUN echo a\\;b `\n  && pip install x');
      expect(cmds).toEqual(['echo a;b', 'pip install x']);
    });

    it('splits an unquoted ARG value into words', () => {
      const { cmds, located } = run('FROM a\nARG PKGS="curl wget"\nRUN apt-get install $PKGS "$PKGS"');
      expect(cmds).toEqual(['apt-get install curl wget curl wget']);
      expect(located[0]).toEqual(['apt-get', 'install', '$PKGS', '$PKGS', '"$PKGS"']);
    });

    it('lexes a RUN heredoc script', () => {
      expect(run('FROM a\nRUN <<EOF\nset -e\npip install x\nEOF').cmds).toEqual(['set -e', 'pip install x']);
    });
  });

  describe('odd input', () => {
    it.each([
      ['a stray (', 'echo a(b) c', ['echo a', 'b', 'c'], ["unexpected '('"]],
      ['a missing )', 'echo $(a', ['echo ?', 'a'], ["missing ')'"]],
      ['a missing }', 'echo ${a', ['echo ?'], ["missing '}'"]],
      ['a missing backquote', 'echo `a', ['echo ?', 'a'], ["missing '`'"]],
    ])('%s does not hang', (_name, script, expected, problems) => {
      const r = lex(script);
      expect(r.commands.map(show)).toEqual(expected);
      expect(r.problems).toEqual(problems);
    });
  });
});

describe('non-POSIX shells', () => {
  const { parseDockerfile } = require('../../src/parse/dockerfile') as typeof import('../../src/parse/dockerfile');
  it.each([
    ['SHELL powershell', 'FROM x\nSHELL ["powershell", "-Command"]\nRUN pip install flask\n'],
    ['hadolint shell pragma', '# hadolint shell=powershell\nFROM x\nRUN pip install flask\n'],
    ['dockrepro shell pragma', '# dockrepro shell=pwsh\nFROM x\nRUN pip install flask\n'],
    ['Windows base image', 'FROM mcr.microsoft.com/windows/servercore:ltsc2022\nRUN pip install flask\n'],
  ])('%s: RUN is not analysed as POSIX shell', (_name, code) => {
    const run = parseDockerfile(code).runs[0];
    expect(run.commands).toEqual([]);
    expect(run.skipped).toBe('the stage runs RUN with a non-POSIX shell');
  });

  it('a POSIX shell pragma changes nothing', () => {
    expect(parseDockerfile('# hadolint shell=bash\nFROM x\nRUN pip install flask\n').runs[0].commands.map((c) => c.name)).toEqual(['pip']);
  });
});

describe('character classes by code', () => {
  it('isSpaceCode is /\\s/ and isWordBreak is /[\\s;&|()<>]/ on every UTF-16 code unit', () => {
    const wrong: number[] = [];
    for (let code = 0; code <= 0xffff; code++) {
      const c = String.fromCharCode(code);
      if (isSpaceCode(code) !== /\s/.test(c) || isWordBreak(code) !== /[\s;&|()<>]/.test(c)) wrong.push(code);
    }
    expect(wrong).toEqual([]);
  });
});
