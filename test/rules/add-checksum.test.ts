import rule from '../../src/rules/add-checksum';
import { flagged, lint } from '../helpers/lint';

const D = 'FROM debian:12.7@sha256:' + 'a'.repeat(64) + '\n';
const DIGEST = 'sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d';
const COMMIT = '0123456789abcdef0123456789abcdef01234567';

describe('add-checksum', () => {
  describe('must trigger', () => {
    it.each([
      // HTTP(S) downloads without a checksum (D6)
      ['D6: https URL', 'ADD https://example.com/tool.tgz /opt/', ['https://example.com/tool.tgz']],
      ['http URL', 'ADD http://example.com/x.tgz /x', ['http://example.com/x.tgz']],
      ['other flags do not verify', 'ADD --chown=1000:1000 --chmod=644 --link https://example.com/t.tgz /opt/', ['https://example.com/t.tgz']],
      ['exec form', 'ADD ["https://example.com/t.tgz", "/opt/"]', ['"https://example.com/t.tgz"']],
      ['each URL of several sources', 'ADD https://a.example/1.tgz local.txt https://b.example/2.tgz /opt/', ['https://a.example/1.tgz', 'https://b.example/2.tgz']],
      ['URL from an ARG default', 'ARG URL=https://example.com/a.tgz\nADD ${URL} /x', ['${URL}']],
      ['ARG inside the URL', 'ARG V=1.2.3\nADD https://example.com/tool-$V.tgz /opt/', ['https://example.com/tool-$V.tgz']],
      ['ONBUILD', 'ONBUILD ADD https://example.com/t.tgz /x', ['https://example.com/t.tgz']],
      ['continuation lines', 'ADD \\\n  https://example.com/t.tgz \\\n  /opt/', ['https://example.com/t.tgz']],
      ['https without .git is a file, not a repository', 'ADD https://github.com/o/r /src', ['https://github.com/o/r']],
      // malformed --checksum, reported at the value
      ['short sha256', 'ADD --checksum=sha256:abc https://example.com/t.tgz /opt/', ['sha256:abc']],
      ['upper-case hex', `ADD --checksum=${DIGEST.toUpperCase()} https://example.com/t.tgz /opt/`, [DIGEST.toUpperCase()]],
      ['no algorithm', `ADD --checksum=${DIGEST.slice(7)} https://example.com/t.tgz /opt/`, [DIGEST.slice(7)]],
      ['sha512 is not checked by BuildKit', `ADD --checksum=sha512:${'b'.repeat(128)} https://example.com/t.tgz /opt/`, [`sha512:${'b'.repeat(128)}`]],
      ['empty value', 'ADD --checksum= https://example.com/t.tgz /opt/', ['--checksum=']],
      ['no value', 'ADD --checksum https://example.com/t.tgz /opt/', ['--checksum']],
      // git sources not at a commit (D8)
      ['D8: git URL at a tag', 'ADD https://github.com/o/r.git#v1.2.3 /src', ['https://github.com/o/r.git#v1.2.3']],
      ['git URL without ref', 'ADD https://github.com/o/r.git /src', ['https://github.com/o/r.git']],
      ['scp-style with ref and subdir', 'ADD git@github.com:o/r.git#main:docs /docs', ['git@github.com:o/r.git#main:docs']],
      ['subdir only: default branch', 'ADD https://github.com/o/r.git#:docs /docs', ['https://github.com/o/r.git#:docs']],
      ['git:// protocol', 'ADD git://example.com/r.git /src', ['git://example.com/r.git']],
      ['ssh:// protocol', 'ADD ssh://git@example.com/r.git#v1 /src', ['ssh://git@example.com/r.git#v1']],
      ['query branch', 'ADD https://github.com/o/r.git?branch=dev /src', ['https://github.com/o/r.git?branch=dev']],
      ['query tag with subdir', 'ADD https://github.com/o/r.git?tag=v1.2.3&subdir=docs /src', ['https://github.com/o/r.git?tag=v1.2.3&subdir=docs']],
      ['--keep-git-dir does not pin', 'ADD --keep-git-dir=true https://github.com/o/r.git#v0.10.1 /src', ['https://github.com/o/r.git#v0.10.1']],
      ['ref from an ARG default', 'ARG REF=v1.2.3\nADD https://github.com/o/r.git#${REF} /src', ['https://github.com/o/r.git#${REF}']],
      ['ONBUILD git', 'ONBUILD ADD https://github.com/o/r.git /src', ['https://github.com/o/r.git']],
      // git checksums that do not pin
      ['commit prefix', 'ADD --checksum=be1f38e https://github.com/o/r.git#v0.26.2 /', ['be1f38e']],
      ['content digest on a git source', `ADD --checksum=${DIGEST} https://github.com/o/r.git /src`, [DIGEST]],
      ['query checksum prefix', 'ADD https://github.com/o/r.git?tag=v1&checksum=be1f38e /src', ['https://github.com/o/r.git?tag=v1&checksum=be1f38e']],
    ])('%s', (_name, code, expected) => {
      expect(flagged(rule, D + code)).toEqual(expected);
    });

    it('reports line, column and message of an HTTP source', () => {
      const found = lint(rule, D + 'WORKDIR /opt\nADD --chmod=755 https://example.com/tool /usr/local/bin/tool');
      expect(found.map((f) => [f.line, f.column, f.text])).toEqual([[3, 17, 'https://example.com/tool']]);
      expect(found[0].message).toBe(
        "ADD downloads 'https://example.com/tool' without --checksum: add --checksum=sha256:<64-hex digest of the file>",
      );
      expect(found[0].fix).toEqual({ kind: 'add-checksum', url: 'https://example.com/tool' });
    });

    it('resolves ARG values into the message and the fix request', () => {
      const found = lint(rule, D + 'ARG URL=https://example.com/a.tgz\nADD ${URL} /x');
      expect(found.map((f) => [f.line, f.column, f.text])).toEqual([[3, 5, '${URL}']]);
      expect(found[0].fix).toEqual({ kind: 'add-checksum', url: 'https://example.com/a.tgz' });
    });

    it('checks a checksum that comes from an ARG default', () => {
      const found = lint(rule, D + 'ARG SUM=sha256:abc\nADD --checksum=${SUM} https://example.com/t.tgz /opt/');
      expect(found.map((f) => f.message)).toEqual([
        "ADD of 'https://example.com/t.tgz': --checksum 'sha256:abc' is malformed: write sha256:<64 lower-case hex digits> (the only digest BuildKit checks)",
      ]);
    });

    it('says a malformed checksum is malformed', () => {
      const [f] = lint(rule, D + 'ADD --checksum=sha256:abc https://example.com/t.tgz /opt/');
      expect([f.line, f.column]).toEqual([2, 16]);
      expect(f.message).toBe(
        "ADD of 'https://example.com/t.tgz': --checksum 'sha256:abc' is malformed: write sha256:<64 lower-case hex digits> (the only digest BuildKit checks)",
      );
    });

    it('names the tag of a git source and asks for a commit', () => {
      const [f] = lint(rule, D + 'ADD https://github.com/moby/buildkit.git#v0.14.1:docs /docs');
      expect(f.message).toBe(
        "ADD of git repository 'https://github.com/moby/buildkit.git' is not pinned: it takes tag 'v0.14.1' (tags can be moved); add --checksum=<40-hex commit id> or write '#<commit id>'",
      );
      expect(f.fix).toEqual({ kind: 'git-commit', url: 'https://github.com/moby/buildkit.git', ref: 'v0.14.1' });
    });

    it('omits the ref of a git source at its default branch', () => {
      const [f] = lint(rule, D + 'ADD git@github.com:o/r.git /src');
      expect(f.message).toContain('its default branch (which moves with every push)');
      expect(f.fix).toEqual({ kind: 'git-commit', url: 'git@github.com:o/r.git' });
    });

    it('explains why a commit prefix is not enough', () => {
      const [f] = lint(rule, D + 'ADD --checksum=be1f38e https://github.com/o/r.git#v0.26.2 /');
      expect(f.message).toBe(
        "ADD of 'https://github.com/o/r.git': checksum 'be1f38e' is only a prefix of a commit id, which later commits can share: write the full 40-hex commit id",
      );
    });
  });

  describe('must not trigger', () => {
    it.each([
      ['D7: sha256 checksum', `ADD --checksum=${DIGEST} https://example.com/tool.tgz /opt/`],
      ['checksum with other flags', `ADD --link --checksum=${DIGEST} --chown=1000 https://example.com/t.tgz /opt/`],
      ['checksum from an ARG default', `ARG SUM=${DIGEST}\nADD --checksum=\${SUM} https://example.com/t.tgz /opt/`],
      ['checksum from a build argument without default', 'ARG SUM\nADD --checksum=${SUM} https://example.com/t.tgz /opt/'],
      ['local file', 'ADD app.tar.gz /opt/'],
      ['local folder', 'ADD . /src'],
      ['scheme-less github path is a local path for ADD', 'ADD github.com/o/r /src'],
      ['URL from an ARG without default', 'ARG URL\nADD $URL /x'],
      ['heredoc content', 'ADD <<EOF /etc/motd\nhttps://example.com/t.tgz\nEOF'],
      ['COPY is not ADD', 'COPY https.txt /x'],
      ['URL in a RUN is not an ADD', 'RUN echo https://example.com/t.tgz'],
      ['git at a full commit', `ADD https://github.com/o/r.git#${COMMIT} /src`],
      ['git at a full commit with subdir', `ADD git@github.com:o/r.git#${COMMIT}:docs /docs`],
      ['git at a SHA-256 commit', `ADD https://github.com/o/r.git#${'c'.repeat(64)} /src`],
      ['--checksum commit with a tag', `ADD --checksum=${COMMIT} https://github.com/o/r.git#v1.2.3 /src`],
      ['--checksum commit without ref', `ADD --checksum=${COMMIT} git@github.com:o/r.git /src`],
      ['query checksum', `ADD https://github.com/o/r.git?tag=v1.2.3&checksum=${COMMIT} /src`],
      ['query commit alias', `ADD https://github.com/o/r.git?branch=main&commit=${COMMIT} /src`],
      ['query ref at a commit', `ADD https://github.com/o/r.git?ref=${COMMIT}&subdir=docs /src`],
      ['git ref from an ARG at a commit', `ARG REF=${COMMIT}\nADD https://github.com/o/r.git#\${REF} /src`],
      ['git ref from an ARG without default', 'ARG REF\nADD https://github.com/o/r.git#${REF} /src'],
      ['git at a SHA-256 query checksum', `ADD https://github.com/o/r.git?checksum=${'d'.repeat(64)} /src`],
      ['exec form with checksum', `ADD --checksum=${DIGEST} ["https://example.com/t.tgz", "/opt/"]`],
      ['ONBUILD with checksum', `ONBUILD ADD --checksum=${DIGEST} https://example.com/t.tgz /opt/`],
      ['URL from an ARG with checksum', `ARG URL=https://example.com/a.tgz\nADD --checksum=${DIGEST} \${URL} /x`],
      ['continuation lines with checksum', `ADD --checksum=${DIGEST} \\\n  https://example.com/t.tgz \\\n  /opt/`],
      ['checksum on a non-.git github URL', `ADD --checksum=${DIGEST} https://github.com/o/r/archive/v1.tar.gz /src`],
      ['local file named like a scheme', 'ADD https.tar.gz http-server.conf /etc/'],
      ['local folder named http', 'ADD ./http/ /srv/http/'],
      ['ARG defaulting to a local path', 'ARG SRC=.\nADD ${SRC} /app'],
      ['remote URL in a comment', '# ADD https://example.com/t.tgz /opt/\nADD app.tgz /opt/'],
    ])('%s', (_name, code) => {
      expect(flagged(rule, D + code)).toEqual([]);
    });
  });
});
