import rule from '../../src/rules/pip-pin';
import { flagged, lint } from '../helpers/lint';

const D = 'FROM python:3.12.7@sha256:' + 'a'.repeat(64) + '\n';

describe('pip-pin', () => {
  describe('must trigger', () => {
    it.each([
      ['plain pip', 'RUN pip install flask', ['flask']],
      ['pip3', 'RUN pip3 install MySQL_python', ['MySQL_python']],
      ['versioned pip', 'RUN pip3.12 install requests', ['requests']],
      ['python -m pip', 'RUN python3 -m pip install requests', ['requests']],
      ['absolute path', 'RUN /opt/venv/bin/pip install flask', ['flask']],
      ['a range is not a pin', "RUN pip install 'flask>=3'", ["'flask>=3'"]],
      ['wildcard is not a pin', 'RUN pip install flask==3.*', ['flask==3.*']],
      ['--upgrade pip', 'RUN pip install --upgrade pip', ['pip']],
      ['--no-deps', 'RUN pip install --no-deps flask', ['flask']],
      ['-r does not hide a named package', 'RUN pip install -r requirements.txt flask', ['flask']],
      ['--root-user-action=ignore', 'RUN pip install --root-user-action=ignore mypkg', ['mypkg']],
      ['VCS without ref', 'RUN pip install git+https://github.com/o/r.git#egg=r', ['git+https://github.com/o/r.git#egg=r']],
      ['VCS at a tag', 'RUN pip install git+https://github.com/o/r.git@v1.2.0#egg=r', ['git+https://github.com/o/r.git@v1.2.0#egg=r']],
      ['URL without hash', 'RUN pip install https://example.com/pkg-1.0.tar.gz', ['https://example.com/pkg-1.0.tar.gz']],
      ['pipx', 'RUN pipx install black', ['black']],
      ['uv pip', 'RUN uv pip install --system flask', ['flask']],
      ['uv tool', 'RUN uv tool install ruff', ['ruff']],
      ['one of several', 'RUN pip install flask==3.0.3 requests', ['requests']],
      ['through sudo and sh -c', "RUN sudo sh -c 'pip install flask'", ['flask']],
      ['general option before install', 'RUN pip --no-cache-dir install flask', ['flask']],
      ['ARG default unpinned', 'ARG PKG=flask\nRUN pip install "$PKG"', ['"$PKG"']],
      ['ONBUILD', 'ONBUILD RUN pip install flask', ['flask']],
      ['heredoc script', 'RUN <<EOF\npip install flask\nEOF', ['flask']],
      ['exec form', 'RUN ["pip", "install", "flask"]', ['"flask"']],
    ])('%s', (_name, code, expected) => {
      expect(flagged(rule, D + code)).toEqual(expected);
    });

    it('reports line and column of each package', () => {
      const found = lint(rule, D + 'RUN pip install --retries 5 flask \\\n    requests==2.32.3 django');
      expect(found.map((f) => [f.line, f.column, f.text])).toEqual([
        [2, 29, 'flask'],
        [3, 22, 'django'],
      ]);
      expect(found[0].message).toBe("pip requirement 'flask' is not pinned: use 'flask==<version>'");
    });
  });

  describe('must not trigger', () => {
    it.each([
      ['exact pin', 'RUN pip install flask==3.0.3'],
      ['===', 'RUN pip install flask===3.0.3'],
      ['extras with pin', 'RUN pip install "uvicorn[standard]==0.30.1"'],
      ['requirements file only', 'RUN pip install -r requirements.txt'],
      ['--requirement=', 'RUN pip install --requirement=requirements.txt'],
      ['local folder', 'RUN pip install .'],
      ['editable local', 'RUN pip install -e .'],
      ['absolute folder', 'RUN pip install /app'],
      ['wheel file', 'RUN pip install mypkg-1.0-py3-none-any.whl'],
      ['constraints', 'RUN pip install flask -c constraints.txt'],
      ['flag values are not packages', 'RUN pip install --retries 5 --timeout 60 -i https://pypi.example/simple flask==3.0.3'],
      ['--target value', 'RUN pip3 install --target /opt/y yamllint==1.35.1'],
      ['--trusted-host value', 'RUN pip install --trusted-host host example==1.2.2'],
      ['--root-user-action value', 'RUN pip install --root-user-action ignore poetry==1.8.5'],
      ['VCS at a commit', `RUN pip install git+https://github.com/o/r.git@${'c'.repeat(40)}#egg=r`],
      ['URL with hash', 'RUN pip install https://example.com/pkg-1.0.tar.gz#sha256=' + 'b'.repeat(64)],
      ['pipx with --python', 'RUN pipx install --python "$(which python3)" "poetry==1.8.5"'],
      ['pipenv is out of scope', 'RUN pipenv install black'],
      ['pip download is not install', 'RUN pip download flask'],
      ['ARG with pin', 'ARG PKG=flask==3.1.0\nRUN pip install "$PKG"'],
      ['ARG version', 'ARG FLASK_VERSION=3.0.3\nRUN pip install "flask==${FLASK_VERSION}"'],
      ['unknown variable', 'RUN pip install "$PACKAGES"'],
      ['in a data heredoc', 'RUN cat > /x.sh <<EOF\npip install flask\nEOF'],
      ['in a comment line of a continuation', 'RUN echo a \\\n  # pip install flask\n  && true'],
      ['python -m venv', 'RUN python3 -m venv /opt/venv'],
      ['uv add (lockfile workflow)', 'RUN uv add flask'],
    ])('%s', (_name, code) => {
      expect(flagged(rule, D + code)).toEqual([]);
    });
  });

  describe('requirements file from the build context', () => {
    const dockerfile = D + 'COPY requirements.txt /tmp/\nRUN pip install -r /tmp/requirements.txt\n';

    it('reports each unpinned line, located at the -r argument', () => {
      const found = lint(rule, dockerfile, { 'requirements.txt': '# deps\nflask\nrequests==2.32.3\ndjango>=5\n' });
      expect(found.map((f) => [f.line, f.text, f.message])).toEqual([
        [3, '/tmp/requirements.txt', "requirements.txt:2: 'flask' is not pinned: use 'flask==<version>'"],
        [3, '/tmp/requirements.txt', "requirements.txt:4: 'django>=5' is a version range, not a pin: use 'django==<version>'"],
      ]);
    });

    it('follows WORKDIR and relative paths', () => {
      const code = D + 'WORKDIR /app\nCOPY . .\nRUN pip install -r reqs/base.txt\n';
      expect(lint(rule, code, { 'reqs/base.txt': 'flask\n' }).map((f) => f.message)).toEqual([
        "reqs/base.txt:1: 'flask' is not pinned: use 'flask==<version>'",
      ]);
    });

    it('follows a folder copied to the root (COPY . / then -r /requirements.txt)', () => {
      const code = D + 'COPY . /\nRUN pip install -r /requirements.txt\n';
      expect(lint(rule, code, { 'requirements.txt': 'flask\n' }).map((f) => f.message)).toEqual([
        "requirements.txt:1: 'flask' is not pinned: use 'flask==<version>'",
      ]);
      const sub = D + 'COPY src /\nRUN pip install -r /reqs/base.txt\n';
      expect(lint(rule, sub, { 'src/reqs/base.txt': 'flask\n' }).map((f) => f.message)).toEqual([
        "src/reqs/base.txt:1: 'flask' is not pinned: use 'flask==<version>'",
      ]);
    });

    it('follows -r includes and accepts hashed lines', () => {
      const files = {
        'requirements.txt': '-r common.txt\nflask==3.0.3 --hash=sha256:' + 'd'.repeat(64) + '\n',
        'common.txt': 'requests\n',
      };
      expect(lint(rule, D + 'COPY requirements.txt common.txt /tmp/\nRUN pip install -r /tmp/requirements.txt', files).map((f) => f.message)).toEqual([
        "common.txt:1: 'requests' is not pinned: use 'requests==<version>'",
      ]);
    });

    it('a hashed line with a range (`pkg>=1 --hash=…`) is not reported: the hash fixes the file, and pip refuses the range', () => {
      // pip's hash-checking mode installs only a file with that hash, and stops at a requirement not pinned
      // with == (HashUnpinned): either way the build cannot pick another release. Unhashed lines still count.
      const files = { 'requirements.txt': `flask>=1 --hash=sha256:${'e'.repeat(64)}\nrequests>=2\n` };
      expect(lint(rule, dockerfile, files).map((f) => f.message)).toEqual([
        "requirements.txt:2: 'requests>=2' is a version range, not a pin: use 'requests==<version>'",
      ]);
    });

    it('is silent when the file is not copied from the context', () => {
      expect(lint(rule, D + 'RUN pip install -r /tmp/requirements.txt', { 'requirements.txt': 'flask\n' })).toEqual([]);
    });

    it('is silent for a fully pinned file', () => {
      expect(lint(rule, dockerfile, { 'requirements.txt': 'flask==3.0.3\n' })).toEqual([]);
    });
  });
});
