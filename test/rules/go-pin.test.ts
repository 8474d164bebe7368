import rule from '../../src/rules/go-pin';
import { flagged, lint } from '../helpers/lint';

const D = 'FROM golang:1.23.4@sha256:' + 'a'.repeat(64) + '\n';
const PSEUDO = 'v0.0.0-20240101000000-abcdef123456';

describe('go-pin', () => {
  describe('must trigger', () => {
    it.each([
      ['no version', 'RUN go install example.com/pkg', ['example.com/pkg']],
      ['O1 @latest', 'RUN go install golang.org/x/tools/gopls@latest', ['golang.org/x/tools/gopls@latest']],
      ['O4 @master', 'RUN go install example.com/tool@master', ['example.com/tool@master']],
      ['@main', 'RUN go install example.com/tool@main', ['example.com/tool@main']],
      ['@HEAD', 'RUN go install example.com/tool@HEAD', ['example.com/tool@HEAD']],
      ['@upgrade', 'RUN go get example.com/tool@upgrade', ['example.com/tool@upgrade']],
      ['major-version query', 'RUN go install example.com/tool@v1', ['example.com/tool@v1']],
      ['comparison query', "RUN go get 'example.com/tool@<v1.5.0'", ["'example.com/tool@<v1.5.0'"]],
      ['short commit', 'RUN go install example.com/tool@abc1234', ['example.com/tool@abc1234']],
      ['go get no version', 'RUN go get example.com/pkg', ['example.com/pkg']],
      ['go get @none', 'RUN go get example.com/pkg@none', ['example.com/pkg@none']],
      ['go get -tool', 'RUN go get -tool example.com/tool', ['example.com/tool']],
      ['go get -u', 'RUN go get -u example.com/pkg', ['example.com/pkg']],
      ['go run without version', 'RUN go run example.com/tool --flag arg', ['example.com/tool']],
      ['-tags value is not a package', 'RUN go install -tags netgo example.com/x', ['example.com/x']],
      ['-ldflags value', "RUN go install -ldflags '-s -w' example.com/x@latest", ['example.com/x@latest']],
      ['-tags= form', 'RUN go install -tags=netgo example.com/x', ['example.com/x']],
      ['one of several', 'RUN go install example.com/a@v1.0.0 example.com/b', ['example.com/b']],
      ['assignment prefix', 'RUN CGO_ENABLED=0 GOBIN=/usr/local/bin go install example.com/x@latest', ['example.com/x@latest']],
      ['ARG default unpinned', 'ARG TOOL=example.com/x@latest\nRUN go install "$TOOL"', ['"$TOOL"']],
      ['absolute path to go', 'RUN /usr/local/go/bin/go install example.com/x', ['example.com/x']],
      ['ONBUILD', 'ONBUILD RUN go install example.com/x', ['example.com/x']],
      ['heredoc script', 'RUN <<EOF\ngo install example.com/x@latest\nEOF', ['example.com/x@latest']],
      ['continuation', 'RUN go install \\\n    -trimpath \\\n    example.com/x@main', ['example.com/x@main']],
      ['exec form', 'RUN ["go", "install", "example.com/x@latest"]', ['"example.com/x@latest"']],
    ])('%s', (_name, code, expected) => {
      expect(flagged(rule, D + code)).toEqual(expected);
    });

    it('reports line, column, message and fix request', () => {
      const found = lint(rule, D + 'RUN go install -v \\\n    golang.org/x/tools/gopls@latest example.com/y');
      expect(found.map((f) => [f.line, f.column, f.text])).toEqual([
        [3, 5, 'golang.org/x/tools/gopls@latest'],
        [3, 37, 'example.com/y'],
      ]);
      expect(found.map((f) => f.message)).toEqual([
        "go package 'golang.org/x/tools/gopls@latest' asks for the 'latest' query, not a version: use 'golang.org/x/tools/gopls@v<version>'",
        "go package 'example.com/y' has no version: use 'example.com/y@v<version>'",
      ]);
      expect(found.map((f) => f.fix)).toEqual([
        { kind: 'go-version', module: 'golang.org/x/tools/gopls' },
        { kind: 'go-version', module: 'example.com/y' },
      ]);
    });
  });

  describe('must not trigger', () => {
    it.each([
      ['O2 exact version', 'RUN go install golang.org/x/tools/gopls@v0.16.1'],
      ['prerelease', 'RUN go install example.com/x@v1.2.3-rc.1'],
      ['+incompatible', 'RUN go get example.com/x@v2.0.0+incompatible'],
      ['pseudo-version', `RUN go install example.com/x@${PSEUDO}`],
      ['full commit', `RUN go install example.com/x@${'c'.repeat(40)}`],
      ['O3 ./cmd/...', 'RUN go install ./cmd/...'],
      ['O3 .', 'RUN go install .'],
      ['absolute folder', 'RUN go install /go/src/app'],
      ['parent folder', 'RUN go build ../x && go install ../x'],
      ['O5 go run with program args', 'RUN go run example.com/tool@v1.2.3 --flag arg foo/bar'],
      ['go run program args are not packages', 'RUN go run example.com/tool@v1.2.3 -f example.com/other'],
      ['go run local files', 'RUN go run main.go util.go'],
      ['O6 -tags value', 'RUN go install -tags netgo example.com/x@v1.0.0'],
      ['all value options', "RUN go install -ldflags '-X main.v=1' -o out -modfile go.tools.mod -C /src -p 4 -gcflags all=-N -overlay o.json -pkgdir /p -toolexec t -mod mod -trimpath ./cmd/x"],
      ['go get -tool pinned', 'RUN go get -tool example.com/tool@v1.4.0'],
      ['toolchain and std paths', 'RUN go get go@1.23.4 toolchain@go1.23.4 && go install std cmd/...'],
      ['go build is not an install', 'RUN go build example.com/x'],
      ['go mod download', 'RUN go mod download'],
      ['ARG version', 'ARG GOPLS=v0.16.1\nRUN go install "golang.org/x/tools/gopls@${GOPLS}"'],
      ['unknown variable', 'RUN go install "example.com/x@$VERSION"'],
      ['in a data heredoc', 'RUN cat > /x.sh <<EOF\ngo install example.com/x@latest\nEOF'],
    ])('%s', (_name, code) => {
      expect(flagged(rule, D + code)).toEqual([]);
    });
  });
});
