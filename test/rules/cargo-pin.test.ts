import rule from '../../src/rules/cargo-pin';
import { flagged, lint } from '../helpers/lint';

const D = 'FROM rust:1.83.0@sha256:' + 'a'.repeat(64) + '\n';
const SHA = 'c'.repeat(40);
const GIT = 'https://github.com/o/r';

describe('cargo-pin', () => {
  describe('must trigger', () => {
    it.each([
      ['no version, no --locked', 'RUN cargo install ripgrep', ['install', 'ripgrep']],
      ['no version', 'RUN cargo install --locked ripgrep', ['ripgrep']],
      ['no --locked', 'RUN cargo install ripgrep@14.1.1', ['install']],
      ['--version without --locked', 'RUN cargo install ripgrep --version 14.1.1', ['install']],
      ['caret requirement', 'RUN cargo install --locked ripgrep@^14', ['ripgrep@^14']],
      ['tilde requirement in --version', "RUN cargo install --locked ripgrep --version '~14.1'", ["'~14.1'"]],
      ['wildcard in --vers', 'RUN cargo install --locked ripgrep --vers 14.*', ['14.*']],
      ['two-part version', 'RUN cargo install --locked ripgrep@14.1', ['ripgrep@14.1']],
      ['one per crate', 'RUN cargo install --locked ripgrep fd-find@10.2.0 bat', ['ripgrep', 'bat']],
      ['--git without --rev', `RUN cargo install --locked --git ${GIT} tool`, [GIT]],
      ['--git at a tag', `RUN cargo install --locked --git ${GIT} --tag v1.0.0`, [GIT]],
      ['--git at a branch', `RUN cargo install --locked --git=${GIT} --branch main`, [GIT]],
      ['--git at a short rev', `RUN cargo install --locked --git ${GIT} --rev abc1234`, [GIT]],
      ['--path needs --locked', 'RUN cargo install --path .', ['install']],
      ['option values are not crates', "RUN cargo install --locked --root /usr/local --target x86_64-unknown-linux-musl --features 'a b' -j 4 --profile release --registry my --index sparse+https://i.example --bin rg -Z sparse-registry ripgrep", ['ripgrep']],
      ['toolchain selector', 'RUN cargo +nightly install --locked ripgrep', ['ripgrep']],
      ['ARG default unpinned', 'ARG CRATE=ripgrep\nRUN cargo install --locked "$CRATE"', ['"$CRATE"']],
      ['ONBUILD', 'ONBUILD RUN cargo install --locked ripgrep', ['ripgrep']],
      ['heredoc script', 'RUN <<EOF\ncargo install --locked ripgrep\nEOF', ['ripgrep']],
      ['continuation', 'RUN cargo install \\\n    --locked \\\n    ripgrep', ['ripgrep']],
      ['exec form', 'RUN ["cargo", "install", "--locked", "ripgrep"]', ['"ripgrep"']],
    ])('%s', (_name, code, expected) => {
      expect(flagged(rule, D + code)).toEqual(expected);
    });

    it('reports line, column, message and fix request', () => {
      const found = lint(rule, D + "RUN cargo install \\\n    sccache --version '^0.8'");
      expect(found.map((f) => [f.line, f.column, f.text])).toEqual([
        [2, 11, 'install'],
        [3, 23, "'^0.8'"],
      ]);
      expect(found.map((f) => f.message)).toEqual([
        '`cargo install` without `--locked` ignores the Cargo.lock of the crate and resolves newer dependencies: add `--locked`',
        "crate 'sccache' version '^0.8' is a requirement, not a pin: use 'sccache@<exact version>'",
      ]);
      expect(found.map((f) => f.fix)).toEqual([{ kind: 'cargo-locked' }, { kind: 'cargo-version', crate: 'sccache' }]);
    });

    it('describes a --git source without a full commit', () => {
      const [f] = lint(rule, D + `RUN cargo install --locked --git ${GIT} --tag v1.0.0 tool`);
      expect(f.message).toBe(`cargo install --git '${GIT}' is not pinned: it has no --rev; use '--rev <40-hex commit>'`);
      expect(f.fix).toEqual({ kind: 'cargo-version', crate: 'tool', git: GIT });
    });
  });

  describe('must not trigger', () => {
    it.each([
      ['crate@version --locked', 'RUN cargo install --locked ripgrep@14.1.1'],
      ['--version', 'RUN cargo install ripgrep --version 14.1.1 --locked'],
      ['--vers=', 'RUN cargo install --locked ripgrep --vers=14.1.1'],
      ['=version', 'RUN cargo install --locked ripgrep@=14.1.1'],
      ['prerelease', 'RUN cargo install --locked tool@1.0.0-beta.2'],
      ['--frozen implies --locked', 'RUN cargo install --frozen ripgrep@14.1.1'],
      ['global --locked before install', 'RUN cargo --locked install ripgrep@14.1.1'],
      ['--git at a full commit', `RUN cargo install --locked --git ${GIT} --rev ${SHA} tool`],
      ['--path with --locked', 'RUN cargo install --locked --path ./cli'],
      ['option values with pins', "RUN cargo install --locked --root /usr/local --features 'a b' -j 4 ripgrep@14.1.1"],
      ['ARG version', 'ARG RG=14.1.1\nRUN cargo install --locked "ripgrep@${RG}"'],
      ['unknown version', 'RUN cargo install --locked ripgrep --version "$RG_VERSION"'],
      ['unknown crate', 'RUN cargo install --locked "$CRATES"'],
      ['cargo install --list', 'RUN cargo install --list'],
      ['cargo build', 'RUN cargo build --release'],
      ['cargo fetch', 'RUN cargo fetch'],
      ['in a data heredoc', 'RUN cat > /x.sh <<EOF\ncargo install ripgrep\nEOF'],
    ])('%s', (_name, code) => {
      expect(flagged(rule, D + code)).toEqual([]);
    });
  });
});
