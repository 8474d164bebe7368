import rule from '../../src/rules/apk-pin';
import { flagged, lint } from '../helpers/lint';

const D = 'FROM alpine:3.20.3@sha256:' + 'a'.repeat(64) + '\n';

describe('apk-pin', () => {
  describe('must trigger', () => {
    it.each([
      ['K1 plain', 'RUN apk add curl', ['curl']],
      ['--no-cache', 'RUN apk add --no-cache curl', ['curl']],
      ['one of several', 'RUN apk add --no-cache curl=8.5.0-r0 git', ['git']],
      ['one finding per package', 'RUN apk add curl git', ['curl', 'git']],
      ['K5 -t value is a virtual name', 'RUN apk add -t .build-deps gcc', ['gcc']],
      ['--virtual value is a virtual name', 'RUN apk add --virtual .build-deps gcc make=4.4.1-r2', ['gcc']],
      ['--virtual=', 'RUN apk add --virtual=.build-deps gcc', ['gcc']],
      ['-X value is a repository', 'RUN apk add -X https://dl-cdn.alpinelinux.org/alpine/edge/testing foo', ['foo']],
      ['--repository=', 'RUN apk add --repository=https://dl-cdn.alpinelinux.org/alpine/edge/community foo', ['foo']],
      ['option before add', 'RUN apk --no-cache -X https://example.org/repo add foo', ['foo']],
      ['--root value', 'RUN apk --root /mnt --initdb add busybox', ['busybox']],
      ['--arch and --cache-dir values', 'RUN apk add --arch x86_64 --cache-dir /var/cache/apk curl', ['curl']],
      ['--keys-dir and --repositories-file values', 'RUN apk add --keys-dir /k --repositories-file /r curl', ['curl']],
      ['repository tag without version', 'RUN apk add curl@edge', ['curl@edge']],
      ['provider name', 'RUN apk add cmd:bash', ['cmd:bash']],
      ['absolute path', 'RUN /sbin/apk add curl', ['curl']],
      ['sudo', 'RUN sudo apk add curl', ['curl']],
      ['ONBUILD', 'ONBUILD RUN apk add curl', ['curl']],
      ['heredoc script', 'RUN <<EOF\napk update\napk add curl\nEOF', ['curl']],
      ['exec form', 'RUN ["apk", "add", "curl"]', ['"curl"']],
      ['ARG default unpinned', 'ARG PKGS="bash=5.2.26-r0 curl"\nRUN apk add $PKGS', ['$PKGS']],
      ['continuation with comment line', 'RUN apk add \\\n    # shells\n    bash=5.2.26-r0 \\\n    curl', ['curl']],
    ])('%s', (_name, code, expected) => {
      expect(flagged(rule, D + code)).toEqual(expected);
    });

    it('reports line, column, message and fix request of each package', () => {
      const found = lint(rule, D + 'RUN apk add --no-cache --virtual .build-deps \\\n      gcc=13.2.1_git20240309-r0 musl-dev');
      expect(found.map((f) => [f.line, f.column, f.text])).toEqual([[3, 33, 'musl-dev']]);
      expect(found[0].message).toBe("apk package 'musl-dev' is not pinned: use 'musl-dev=<version>'");
      expect(found[0].fix).toEqual({ kind: 'apk-version', package: 'musl-dev' });
    });

    it('names the variable a package came from', () => {
      expect(lint(rule, D + 'ENV DEPS="curl"\nRUN apk add ${DEPS}').map((f) => f.message)).toEqual([
        "apk package 'curl' (from ${DEPS}) is not pinned: use 'curl=<version>'",
      ]);
    });
  });

  describe('must not trigger', () => {
    it.each([
      ['K2 exact pin', 'RUN apk add --no-cache curl=8.5.0-r0'],
      ['K3 fuzzy ~', `RUN apk add --no-cache 'curl~8.5'`],
      ['K3 >=', 'RUN apk add --no-cache "curl>=8.5"'],
      ['=~ and ~=', 'RUN apk add git=~2.52 git~=2.52'],
      ['< range', 'RUN apk add "python3<3.13"'],
      ['K4 --virtual with pinned packages', 'RUN apk add --virtual .build-deps gcc=13.2.1_git20231014-r0'],
      ['--virtual name only', 'RUN apk add --virtual .build-deps'],
      ['K6 -X with a pin', 'RUN apk add -X https://dl-cdn.alpinelinux.org/alpine/edge/testing foo=1.0-r0'],
      ['--repository URL with a pin', 'RUN apk add --repository http://dl-cdn.alpinelinux.org/alpine/edge/community flow=0.78.0-r0'],
      ['K7 -X before add (#408)', 'RUN apk -X https://dl-cdn.alpinelinux.org/alpine/edge/main add --no-cache lttng-ust=2.10.4-r0'],
      ['K8 .apk file (#662)', 'RUN apk add /pkgs/pkg-1.0.apk'],
      ['relative .apk with --allow-untrusted', 'RUN apk add --allow-untrusted mypackage-1.1.1.apk'],
      ['tag with pin', 'RUN apk add curl@edge=8.11.0-r2'],
      ['K9 ARG with pins (#393)', 'ARG BUILD_PACKAGES="bash=5.0.0-r0"\nRUN apk add $BUILD_PACKAGES'],
      ['unknown variable', 'RUN apk add $BUILD_PACKAGES'],
      ['ARG version', 'ARG CURL_VERSION=8.5.0-r0\nRUN apk add "curl=${CURL_VERSION}"'],
      ['conflict marker', `RUN apk add '!busybox-extras'`],
      ['apk add without packages', 'RUN apk add --no-cache'],
      ['apk update', 'RUN apk update'],
      ['apk del', 'RUN apk del .build-deps curl'],
      ['apk info', 'RUN apk info curl'],
      ['add as a package of del', 'RUN apk del add'],
      ['data heredoc', 'RUN cat > /x.sh <<EOF\napk add curl\nEOF'],
      ['comment line in a continuation', 'RUN apk add \\\n    # curl\n    bash=5.2.26-r0'],
      ['echoed', 'RUN echo "apk add curl"'],
      ['apt-get is not apk', 'RUN apt-get install -y curl'],
    ])('%s', (_name, code) => {
      expect(flagged(rule, D + code)).toEqual([]);
    });
  });
});
