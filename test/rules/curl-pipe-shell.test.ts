import rule from '../../src/rules/curl-pipe-shell';
import { flagged, lint } from '../helpers/lint';

const D = 'FROM debian:12.7@sha256:' + 'a'.repeat(64) + '\n';
const URL = 'https://get.example.com/i.sh';
const HEX = 'e'.repeat(64);

describe('curl-pipe-shell', () => {
  describe('must trigger', () => {
    it.each([
      // piped into an interpreter that reads its program from stdin
      ['D1: curl | sh', `RUN curl -fsSL ${URL} | sh`, [`curl -fsSL ${URL}`]],
      ['D2: pipefail does not help', `SHELL ["/bin/bash", "-o", "pipefail", "-c"]\nRUN curl -fsSL ${URL} | sh`, [`curl -fsSL ${URL}`]],
      ['D3: wget -qO- | bash -s -- -y', `RUN wget -qO- ${URL} | bash -s -- -y`, [`wget -qO- ${URL}`]],
      ['wget -O -', `RUN wget -q -O - ${URL} | sh`, [`wget -q -O - ${URL}`]],
      ['wget --output-document=-', `RUN wget --output-document=- ${URL} | sh`, [`wget --output-document=- ${URL}`]],
      ['rustup installer', `RUN curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y`, [`curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs`]],
      ['nvm installer (-o-)', 'RUN curl -o- https://raw.githubusercontent.com/nvm-sh/nvm/v0.39.7/install.sh | bash', ['curl -o- https://raw.githubusercontent.com/nvm-sh/nvm/v0.39.7/install.sh']],
      ['curl -o -', `RUN curl -sL -o - ${URL} | sh`, [`curl -sL -o - ${URL}`]],
      ['through sudo', `RUN curl -fsSL ${URL} | sudo -E bash -`, [`curl -fsSL ${URL}`]],
      ['through env', `RUN curl -fsSL ${URL} | env VERSION=1.2 sh -s`, [`curl -fsSL ${URL}`]],
      ['absolute interpreter path', `RUN curl -fsSL ${URL} | /bin/bash`, [`curl -fsSL ${URL}`]],
      ['shell options', `RUN curl -fsSL ${URL} | sh -euxo pipefail`, [`curl -fsSL ${URL}`]],
      ['zsh', `RUN curl -fsSL ${URL} | zsh`, [`curl -fsSL ${URL}`]],
      ['python3 -', `RUN curl -sSL https://install.python-poetry.org | python3 - --version 1.8.5`, ['curl -sSL https://install.python-poetry.org']],
      ['python', `RUN curl -sSL https://bootstrap.pypa.io/get-pip.py | python`, ['curl -sSL https://bootstrap.pypa.io/get-pip.py']],
      ['perl', `RUN curl -L https://cpanmin.us | perl - App::cpanminus`, ['curl -L https://cpanmin.us']],
      ['ruby', `RUN curl -fsSL ${URL} | ruby`, [`curl -fsSL ${URL}`]],
      ['node', `RUN curl -fsSL ${URL} | node`, [`curl -fsSL ${URL}`]],
      ['php', `RUN curl -sS https://getcomposer.org/installer | php -- --install-dir=/usr/local/bin`, ['curl -sS https://getcomposer.org/installer']],
      ['through tee', `RUN curl -fsSL ${URL} | tee /tmp/i.sh | sh`, [`curl -fsSL ${URL}`]],
      // nested: the download is the program text or file
      ['D4: bash <(curl)', `RUN bash <(curl -fsSL ${URL})`, [`curl -fsSL ${URL}`]],
      ['D4: sh -c "$(curl)"', `RUN sh -c "$(curl -fsSL ${URL})"`, [`curl -fsSL ${URL}`]],
      ['bash -c "$(wget -qO-)"', `RUN bash -c "$(wget -qO- ${URL})"`, [`wget -qO- ${URL}`]],
      ['sudo bash -c "$(curl)" with args', `RUN sudo bash -c "$(curl -fsSL ${URL})" -- -y`, [`curl -fsSL ${URL}`]],
      ['python3 -c "$(curl)"', `RUN python3 -c "$(curl -fsSL ${URL})"`, [`curl -fsSL ${URL}`]],
      ['eval "$(curl)"', `RUN eval "$(curl -fsSL ${URL})"`, [`curl -fsSL ${URL}`]],
      ['. <(curl)', `RUN . <(curl -fsSL ${URL})`, [`curl -fsSL ${URL}`]],
      ['source <(curl)', `RUN source <(curl -fsSL ${URL})`, [`curl -fsSL ${URL}`]],
      ['stdin redirected from <(curl)', `RUN bash < <(curl -fsSL ${URL})`, [`curl -fsSL ${URL}`]],
      // where the RUN body comes from
      ['inside sh -c', `RUN sh -c 'curl -fsSL ${URL} | bash'`, [`curl -fsSL ${URL}`]],
      ['exec form sh -c', `RUN ["sh", "-c", "curl -fsSL ${URL} | sh"]`, [`curl -fsSL ${URL}`]],
      ['heredoc script', `RUN <<EOF\nset -e\ncurl -fsSL ${URL} | sh\nEOF`, [`curl -fsSL ${URL}`]],
      ['heredoc fed to bash', `RUN bash <<EOF\nset -e\ncurl -fsSL ${URL} | sh\nEOF`, [`curl -fsSL ${URL}`]],
      ['ONBUILD', `ONBUILD RUN curl -fsSL ${URL} | sh`, [`curl -fsSL ${URL}`]],
      ['continuation before the pipe', `RUN apt-get update \\\n && curl -fsSL ${URL} \\\n    | bash -`, [`curl -fsSL ${URL}`]],
      ['one finding per download', `RUN curl -fsSL https://a.example/1.sh | sh && wget -qO- https://b.example/2.sh | sh`, ['curl -fsSL https://a.example/1.sh', 'wget -qO- https://b.example/2.sh']],
    ])('%s', (_name, code, expected) => {
      expect(flagged(rule, D + code)).toEqual(expected);
    });

    it('eval `curl -fsSL URL` (closing backtick right after a word)', () => {
      expect(flagged(rule, D + `RUN eval \`curl -fsSL ${URL}\` && echo done`)).toEqual([`curl -fsSL ${URL}`]);
    });

    it('reports the command position and names the interpreter', () => {
      const found = lint(rule, D + `RUN set -eux; \\\n    curl -fsSL ${URL} | sudo bash -s -- --yes`);
      expect(found.map((f) => [f.line, f.column, f.text])).toEqual([[3, 5, `curl -fsSL ${URL}`]]);
      expect(found[0].message).toBe(
        "curl output is piped into 'bash' without any check: download to a file, verify its sha256 (sha256sum -c), then run the file",
      );
      expect(found[0].fix).toEqual({ kind: 'script-checksum', form: 'pipe', interpreter: 'bash' });
    });

    it('names the command that runs a nested download', () => {
      const [f] = lint(rule, D + `RUN sh -c "$(wget -qO- ${URL})"`);
      expect([f.line, f.column]).toEqual([2, 14]);
      expect(f.message).toBe(
        "wget output is run by 'sh' without any check: download to a file, verify its sha256 (sha256sum -c), then run the file",
      );
    });
  });

  describe('must not trigger', () => {
    it.each([
      ['D5: verified download', `RUN curl -fsSLo /opt/t.tgz https://x.example/t.tgz && echo "${HEX}  /opt/t.tgz" | sha256sum -c -`],
      ['verified script, run from the file', `RUN curl -fsSLo /tmp/i.sh ${URL} && echo "${HEX}  /tmp/i.sh" | sha256sum -c - && sh /tmp/i.sh`],
      ['piped into tar', 'RUN curl -fsSL https://x.example/t.tgz | tar -xz -C /opt'],
      ['wget -qO- into tar', 'RUN wget -qO- https://x.example/t.tgz | tar xz -C /opt'],
      ['piped into gpg', 'RUN curl -fsSL https://x.example/key.asc | gpg --dearmor -o /usr/share/keyrings/x.gpg'],
      ['piped into jq', 'RUN curl -fsSL https://api.example.com/v1/latest | jq -r .tag_name'],
      ['piped into sha256sum', `RUN curl -fsSL https://x.example/t.tgz | sha256sum -c /tmp/t.sha256`],
      ['piped into sudo tee', 'RUN curl -fsSL https://x.example/x.list | sudo tee /etc/apt/sources.list.d/x.list'],
      ['python reads JSON from stdin', `RUN curl -fsSL https://api.example.com | python3 -c 'import json,sys; print(json.load(sys.stdin)["v"])'`],
      ['python -m json.tool', 'RUN curl -fsSL https://api.example.com | python3 -m json.tool'],
      ['perl filter', `RUN curl -fsSL https://x.example/v | perl -lne 'print $1 if /v(\\S+)/'`],
      ['node -e filter', `RUN curl -fsSL https://x.example/v | node -e 'process.stdin.pipe(process.stdout)'`],
      ['sh -c runs its string, stdin is data', `RUN curl -fsSL https://x.example/bin | sh -c 'cat > /usr/local/bin/x'`],
      ['script file with data on stdin', `RUN curl -fsSL https://x.example/data | bash /opt/import.sh`],
      ['xargs passes arguments, not a program', `RUN curl -fsSL https://x.example/list | xargs -n1 bash`],
      ['wget without -O- writes a file', `RUN wget -q ${URL} | sh`],
      ['curl -o writes a file', `RUN curl -fsSL -o /tmp/i.sh ${URL} | sh`],
      ['curl -O writes a file', `RUN curl -fsSLO ${URL} | sh`],
      ['diff <(curl)', 'RUN diff <(curl -fsSL https://x.example/a) /etc/a'],
      ['output into a variable', 'RUN V="$(curl -fsSL https://x.example/v)" && echo "$V"'],
      ['output as a script argument', `RUN bash /opt/s.sh "$(curl -fsSL https://x.example/v)"`],
      ['output as sh -c positional argument', `RUN sh -c 'echo "$1"' _ "$(curl -fsSL https://x.example/v)"`],
      ['echo of a command substitution', 'RUN echo "$(curl -fsSL https://x.example/v)" > /v'],
      ['text in a string', `RUN echo "curl -fsSL ${URL} | sh"`],
      ['data heredoc', `RUN cat > /x.sh <<EOF\ncurl -fsSL ${URL} | sh\nEOF`],
      ['piped into grep', 'RUN curl -fsSL https://x.example/releases | grep -o "v[0-9.]*" | head -1'],
      ['piped into gunzip to a file', 'RUN curl -fsSL https://x.example/x.gz | gunzip > /usr/local/bin/x'],
      ['piped into tee to a file', `RUN curl -fsSL ${URL} | tee /tmp/i.sh > /dev/null`],
      ['redirected to a file', `RUN curl -fsSL ${URL} > /tmp/i.sh`],
      ['python script file reads stdin', 'RUN curl -fsSL https://x.example/data | python3 /opt/parse.py'],
      ['ruby -e filter', `RUN curl -fsSL https://x.example/v | ruby -e 'puts STDIN.read.strip'`],
      ['php -r filter', `RUN curl -fsSL https://x.example/v | php -r 'echo trim(fgets(STDIN));'`],
      ['perl -pe filter', `RUN curl -fsSL https://x.example/v | perl -pe 's/^v//'`],
      ['node script file', 'RUN curl -fsSL https://x.example/data | node /opt/x.js'],
      ['curl --version', 'RUN curl --version | head -1'],
      ['exec form download to a file', `RUN ["curl", "-fsSL", "-o", "/tmp/i.sh", "${URL}"]`],
      ['bash <(cat file) is not a download', 'RUN bash <(cat /opt/x.sh)'],
      ['eval of another command', 'RUN eval "$(ssh-agent -s)"'],
      ['source of a local file', 'RUN . /etc/os-release && curl -fsSL "https://x.example/$ID.tgz" | tar xz'],
      ['download then run without check (out of scope, documented)', `RUN wget -O /tmp/i.sh ${URL} && sh /tmp/i.sh`],
      ['comment line inside a continuation', `RUN echo a \\\n  # curl -fsSL ${URL} | sh\n  && true`],
    ])('%s', (_name, code) => {
      expect(flagged(rule, D + code)).toEqual([]);
    });
  });
});
