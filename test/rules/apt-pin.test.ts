import rule from '../../src/rules/apt-pin';
import { flagged, lint } from '../helpers/lint';

const D = 'FROM debian:12.8-slim@sha256:' + 'a'.repeat(64) + '\n';

describe('apt-pin', () => {
  describe('must trigger', () => {
    it.each([
      ['A1 update && install', 'RUN apt-get update && apt-get install -y curl', ['curl']],
      ['A18 one finding per package', 'RUN apt-get install -y curl git', ['curl', 'git']],
      ['one of several', 'RUN apt-get install -y curl=7.88.1-10+deb12u7 git', ['git']],
      ['A9 apt', 'RUN apt install -y curl', ['curl']],
      ['aptitude', 'RUN aptitude install -y curl', ['curl']],
      ['A10 assignment prefix', 'RUN DEBIAN_FRONTEND=noninteractive apt-get install -y tzdata', ['tzdata']],
      ['A11 sudo', 'RUN sudo apt-get install -y curl', ['curl']],
      ['env wrapper', 'RUN env DEBIAN_FRONTEND=noninteractive apt-get install -y curl', ['curl']],
      ['A12 absolute path', 'RUN /usr/bin/apt-get install -y curl', ['curl']],
      ['A13 ONBUILD', 'ONBUILD RUN apt-get install -y curl', ['curl']],
      ['A14 -o value is not a package', 'RUN apt-get -o Dpkg::Options::=--force-confold install -y curl', ['curl']],
      ['-o after install', 'RUN apt-get install -o Dpkg::Options::="--force-confnew" -y curl', ['curl']],
      ['options before the subcommand', 'RUN apt-get -yqq --no-install-recommends install curl', ['curl']],
      ['-t value is not a package', 'RUN apt-get install -y -t bookworm-backports curl', ['curl']],
      ['--target-release=', 'RUN apt-get install --target-release=bookworm-backports curl', ['curl']],
      ['-c value is not a package', 'RUN apt-get -c /etc/apt/my.conf install -y curl', ['curl']],
      ['A15 heredoc script', 'RUN <<EOF\napt-get update\napt-get install -y curl\nEOF', ['curl']],
      ['sh -c string', `RUN sh -c 'apt-get update && apt-get install -y curl'`, ['curl']],
      ['exec form', 'RUN ["apt-get", "install", "-y", "curl"]', ['"curl"']],
      ['quoted package', `RUN apt-get install -y 'curl'`, [`'curl'`]],
      ['arch qualifier alone', 'RUN apt-get install -y libc6:i386', ['libc6:i386']],
      ['explicit install marker', 'RUN apt-get install -y curl+', ['curl+']],
      ['g++ is a name', 'RUN apt-get install -y g++', ['g++']],
      ['ENV value with several packages', 'ENV BUILD_DEPS="gcc=4:12.2.0-3 make"\nRUN apt-get install -y $BUILD_DEPS', ['$BUILD_DEPS']],
      ['ARG default unpinned', 'ARG PKG=curl\nRUN apt-get install -y "$PKG"', ['"$PKG"']],
      ['inside if', 'RUN if [ -n "$X" ]; then apt-get install -y curl; fi', ['curl']],
      ['A8 comment line in a continuation', 'RUN apt-get install -y \\\n    # tools\n    curl=7.88.1-10 \\\n    git', ['git']],
    ])('%s', (_name, code, expected) => {
      expect(flagged(rule, D + code)).toEqual(expected);
    });

    it('reports line, column, message and fix request of each package', () => {
      const found = lint(rule, D + 'RUN apt-get update \\\n && apt-get install -y --no-install-recommends curl \\\n    ca-certificates=20230311 git');
      expect(found.map((f) => [f.line, f.column, f.text])).toEqual([
        [3, 48, 'curl'],
        [4, 30, 'git'],
      ]);
      expect(found[0].message).toBe("apt package 'curl' is not pinned: use 'curl=<version>'");
      expect(found[0].fix).toEqual({ kind: 'apt-version', package: 'curl', stage: 0 });
    });

    it('names the variable a package came from, and the stage of the RUN', () => {
      const found = lint(rule, D + 'FROM debian:12.8@sha256:' + 'b'.repeat(64) + '\nARG DEPS="gcc make=4.3-4.1"\nRUN apt-get install -y $DEPS');
      expect(found.map((f) => [f.text, f.message])).toEqual([
        ['$DEPS', "apt package 'gcc' (from $DEPS) is not pinned: use 'gcc=<version>'"],
      ]);
      expect(found[0].fix).toEqual({ kind: 'apt-version', package: 'gcc', stage: 1 });
    });

    it('drops the install marker in the hint and the fix request', () => {
      const [f] = lint(rule, D + 'RUN apt-get install -y curl+');
      expect([f.message, f.fix]).toEqual(["apt package 'curl' is not pinned: use 'curl=<version>'", { kind: 'apt-version', package: 'curl', stage: 0 }]);
    });
  });

  describe('must not trigger', () => {
    it.each([
      ['A2 exact pin', 'RUN apt-get install -y curl=7.88.1-10+deb12u7'],
      ['A3 wildcard pin', `RUN apt-get install -y 'curl=7.88.*'`],
      ['hadolint regression: several wildcard pins', 'RUN apt-get install -y python-demjson=2.2.2* wget=1.16.1* git=1:2.5.0* ruby=1:2.1.*'],
      ['A4 local .deb', 'RUN apt-get install -y ./pkg_1.0_amd64.deb'],
      ['absolute .deb', 'RUN apt-get install -y /tmp/wkhtmltox_0.12.6-1_amd64.deb'],
      ['.deb in the current folder without ./', 'RUN apt-get install -y wkhtmltox_0.12.6-1_amd64.deb'],
      ['A5 -t with a pinned package', 'RUN apt-get install -y -t bookworm-backports openjdk-17-jdk=17.0.11+9-1~bpo12+1'],
      ['A6 pkg/suite (counts as pinned, as in the spec)', 'RUN apt-get install -y curl/bookworm-backports'],
      ['arch qualifier with a pin', 'RUN apt-get install -y libc6:i386=2.36-9'],
      ['A7 ARG with pins', 'ARG PKGS="curl=7.88.1-10 git=1:2.39.5-0+deb12u1"\nRUN apt-get install -y $PKGS'],
      ['A7 unknown variable (#928)', 'RUN apt-get install -y $buildDeps'],
      ['ARG without default', 'ARG PKGS\nRUN apt-get install -y $PKGS'],
      ['command substitution', 'RUN apt-get install -y $(cat /tmp/packages.txt)'],
      ['xargs reads the names from stdin', 'RUN xargs apt-get install -y < /tmp/packages.txt'],
      ['A17 ARG version', 'ARG V=7.88.1-10\nRUN apt-get install -y curl=$V'],
      ['A17 unknown version', 'RUN apt-get install -y curl=$CURL_VERSION'],
      ['A19 --no-install-recommends', 'RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates=20230311'],
      ['A16 data heredoc', 'RUN cat > /etc/motd <<EOF\napt-get install -y curl\nEOF'],
      ['A8 comment only', 'RUN apt-get install -y \\\n    # git is not installed\n    curl=7.88.1-10'],
      ['install without packages', 'RUN apt-get install -y'],
      ['fix-broken', 'RUN apt-get install -f -y'],
      ['apt-get update', 'RUN apt-get update'],
      ['apt-get remove', 'RUN apt-get remove -y curl'],
      ['removal suffix', 'RUN apt-get install -y curl=7.88.1-10 nano-'],
      ['apt-get source', 'RUN apt-get source curl'],
      ['apt-cache policy', 'RUN apt-cache policy curl'],
      ['apt-get download', 'RUN apt-get download curl'],
      ['install is a package name elsewhere', 'RUN apt-get -y remove install'],
      ['search pattern', `RUN apt install -y '?name(^libfoo)'`],
      ['in a comment', 'RUN echo hi # apt-get install curl'],
      ['echoed text', 'RUN echo "apt-get install curl"'],
      ['dpkg -i', 'RUN dpkg -i /tmp/pkg.deb'],
    ])('%s', (_name, code) => {
      expect(flagged(rule, D + code)).toEqual([]);
    });
  });
});
