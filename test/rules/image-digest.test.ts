import rule from '../../src/rules/image-digest';
import { parseDockerfile } from '../../src/parse/dockerfile';
import { flagged, lint } from '../helpers/lint';

const D = 'sha256:' + 'a'.repeat(64);

describe('image-digest', () => {
  describe('must trigger', () => {
    it.each([
      ['B1 no tag', 'FROM python', ['python']],
      ['B2 latest', 'FROM python:latest', ['python:latest']],
      ['B3 floating tag', 'FROM python:3', ['python:3']],
      ['B4 precise tag without digest', 'FROM python:3.12.4-slim-bookworm', ['python:3.12.4-slim-bookworm']],
      ['AS name does not count', 'FROM debian:12.8 AS builder', ['debian:12.8']],
      ['B10 alias defined after use is an image', `FROM app\nRUN true\nFROM node:20@${D} AS app`, ['app']],
      ['B12 tag from ARG default', 'ARG TAG=latest\nFROM debian:${TAG}', ['debian:${TAG}']],
      ['B17 registry port is not a tag', 'FROM localhost:5000/team/app', ['localhost:5000/team/app']],
      ['B19 --platform', 'FROM --platform=$BUILDPLATFORM golang:1.22 AS build', ['golang:1.22']],
      ['B23 stages and images', 'FROM node:20 AS deps\nFROM deps AS build\nFROM gcr.io/distroless/nodejs20-debian12', ['node:20', 'gcr.io/distroless/nodejs20-debian12']],
      ['COPY --from image', `FROM alpine@${D}\nCOPY --from=nginx:1.27.3 /etc/nginx /etc/nginx`, ['nginx:1.27.3']],
      ['RUN --mount from= image', `FROM alpine@${D}\nRUN --mount=type=bind,from=busybox:1.36.1,target=/bb ls /bb`, ['busybox:1.36.1']],
      ['ONBUILD COPY --from image', `FROM alpine@${D}\nONBUILD COPY --from=nginx /a /b`, ['nginx']],
      ['# syntax= directive', `# syntax=docker/dockerfile:1\nFROM alpine@${D}`, ['docker/dockerfile:1']],
      ['COPY --from from a stage ARG', `FROM alpine@${D}\nARG SRC=nginx:1.27.3\nCOPY --from=\${SRC} /a /b`, ['${SRC}']],
      ['a stage named later is an image in COPY --from', `FROM alpine@${D}\nCOPY --from=tools /a /b\nFROM alpine@${D} AS tools`, ['tools']],
      ['continuation inside FROM', 'FROM \\\n  python:3.12.7', ['python:3.12.7']],
    ])('%s', (_name, code, expected) => {
      expect(flagged(rule, code)).toEqual(expected);
    });

    it('reports line, column and a fix request for a literal reference', () => {
      const found = lint(rule, `FROM alpine@${D}\nFROM --platform=$BUILDPLATFORM golang:1.22 AS build`);
      expect(found.map((f) => [f.line, f.column, f.text])).toEqual([[2, 32, 'golang:1.22']]);
      expect(found[0].message).toBe("base image 'golang:1.22' has no digest: pin it as 'golang:1.22@sha256:<digest>'");
      // The range is the reference alone, so a fixer keeps `--platform=…` and `AS build`.
      expect(found[0].fix).toEqual({ kind: 'image-digest', image: 'golang:1.22', site: 'from', definitions: [] });
    });

    it('B11 reports at the FROM reference, names the ARG, and gives the ARG default range', () => {
      const code = 'ARG BASE=python:3.12-slim\nFROM ${BASE}';
      const found = lint(rule, code);
      expect(found.map((f) => [f.line, f.column, f.text])).toEqual([[2, 6, '${BASE}']]);
      expect(found[0].message).toBe("base image 'python:3.12-slim' (from ARG BASE) has no digest: pin it as 'python:3.12-slim@sha256:<digest>'");
      const fix = found[0].fix as { definitions: { name: string; span: { start: number; end: number } }[] };
      expect(fix).toMatchObject({ kind: 'image-digest', image: 'python:3.12-slim', site: 'from' });
      expect(fix.definitions.map((d) => [d.name, code.slice(d.span.start, d.span.end)])).toEqual([['BASE', 'python:3.12-slim']]);
    });

    it('names every ARG a reference is built from, once each', () => {
      const found = lint(rule, 'ARG REG=gcr.io\nARG IMG=team/app\nFROM ${REG}/${IMG}:1.2.3\nFROM ${REG}/${IMG}:${IMG}x');
      expect(found[0].message).toBe("base image 'gcr.io/team/app:1.2.3' (from ARG REG, ARG IMG) has no digest: pin it as 'gcr.io/team/app:1.2.3@sha256:<digest>'");
      expect((found[0].fix as { definitions: { name: string }[] }).definitions.map((d) => d.name)).toEqual(['REG', 'IMG']);
    });

    it('B16 resolves ${BASE:-debian:12} to debian:12', () => {
      const found = lint(rule, 'FROM ${BASE:-debian:12}');
      expect(found.map((f) => [f.text, f.message])).toEqual([
        ['${BASE:-debian:12}', "base image 'debian:12' has no digest: pin it as 'debian:12@sha256:<digest>'"],
      ]);
      expect(found[0].fix).toMatchObject({ image: 'debian:12' });
    });

    it('B13 an ARG without default is reported once, as a build-arg dependency', () => {
      const found = lint(rule, 'ARG TAG\nFROM debian:${TAG}\nFROM debian:${TAG}-slim@' + D);
      expect(found.map((f) => [f.line, f.text])).toEqual([[2, 'debian:${TAG}'], [3, 'debian:${TAG}-slim@' + D]]);
      expect(found[0].message).toBe(
        "base image 'debian:${TAG}' depends on build argument TAG, which has no default: " +
          'the build is not reproducible without knowing --build-arg; give it a default pinned by digest',
      );
      expect(found[0].fix).toBeUndefined();
    });

    it('several ARGs without default are one finding', () => {
      const found = lint(rule, 'ARG REG\nARG TAG\nFROM ${REG}/app:${TAG}');
      expect(found).toHaveLength(1);
      expect(found[0].message).toContain('depends on build arguments REG, TAG, which have no default');
    });

    it('B14 an undeclared variable is reported as such', () => {
      const found = lint(rule, 'FROM img${SUFFIX}');
      expect(found.map((f) => [f.text, f.message])).toEqual([
        ['img${SUFFIX}', "base image 'img${SUFFIX}' uses undeclared variable SUFFIX (BuildKit substitutes '', giving 'img'): declare 'ARG SUFFIX=<value>' before the first FROM"],
      ]);
    });

    it('an undeclared variable in COPY --from asks for an ARG in the stage', () => {
      expect(lint(rule, `FROM alpine@${D}\nCOPY --from=nginx:\${V} /a /b`).map((f) => [f.text, f.message])).toEqual([
        ['nginx:${V}', "COPY --from image 'nginx:${V}' uses undeclared variable V (BuildKit substitutes '', giving 'nginx:'): declare 'ARG V=<value>' in this stage"],
      ]);
    });

    it('an ARG declared inside a stage does not reach a later FROM', () => {
      const found = lint(rule, `FROM alpine@${D}\nARG V=3.12.7\nFROM python:\${V}`);
      expect(found.map((f) => f.message)).toEqual([
        "base image 'python:${V}' uses undeclared variable V (BuildKit substitutes '', giving 'python:'): declare 'ARG V=<value>' before the first FROM",
      ]);
    });

    it.each([
      ['B20 too short', 'FROM python:3@sha256:abc123', 'sha256:abc123', 'python:3'],
      ['uppercase hex', `FROM python:3.12.7@sha256:${'A'.repeat(64)}`, `sha256:${'A'.repeat(64)}`, 'python:3.12.7'],
      ['63 digits', `FROM python@sha256:${'a'.repeat(63)}`, `sha256:${'a'.repeat(63)}`, 'python'],
      ['not sha256', `FROM python@sha512:${'a'.repeat(128)}`, `sha512:${'a'.repeat(128)}`, 'python'],
    ])('malformed digest: %s', (_name, code, digest, image) => {
      const found = lint(rule, code);
      expect(found).toHaveLength(1);
      expect(found[0].text).toBe(code.slice(5));
      expect(found[0].message).toBe(
        `base image '${code.slice(5)}' has a malformed digest '${digest}': a digest is 'sha256:' followed by 64 lowercase hex digits; pin it as '${image}@sha256:<digest>'`,
      );
      expect(found[0].fix).toMatchObject({ kind: 'image-digest', image });
    });

    it('reports a reference that cannot be parsed with the parser error', () => {
      expect(lint(rule, 'FROM Python:3').map((f) => f.message)).toEqual([
        "base image 'Python:3' cannot be parsed: image name 'Python:3' must be lowercase",
      ]);
    });

    it('labels each kind of site', () => {
      const code = `# syntax=docker/dockerfile:1.7\nFROM alpine\nCOPY --from=nginx /a /b\nRUN --mount=from=busybox,target=/bb true`;
      expect(lint(rule, code).map((f) => f.message.split(' has ')[0])).toEqual([
        "# syntax= frontend image 'docker/dockerfile:1.7'",
        "base image 'alpine'",
        "COPY --from image 'nginx'",
        "RUN --mount image 'busybox'",
      ]);
    });
  });

  describe('must not trigger', () => {
    it.each([
      ['B5 tag and digest', `FROM python:3.12.4-slim@${D}`],
      ['B6 digest only', `FROM python@${D}`],
      ['B7 latest with digest', `FROM debian:latest@${D}`],
      ['B8 scratch', 'FROM scratch'],
      ['scratch from an ARG', 'ARG BASE=scratch\nFROM ${BASE}'],
      ['B9 stage name', `FROM golang:1.22@${D} AS build\nFROM build AS test`],
      ['B15 ARG default with digest', `ARG IMG=python:3.12@${D}\nFROM \${IMG}`],
      ['B18 registry port, path, tag and digest', `FROM localhost:5000/team/app:1.2@${D}`],
      ['B21 stage names are case-insensitive', `FROM ubuntu:22.04@${D} AS Build\nFROM build`],
      ['digest from a default modifier', `FROM \${BASE:-debian:12@${D}}`],
      ['COPY --from stage index', `FROM golang:1.22@${D}\nFROM alpine@${D}\nCOPY --from=0 /go/bin/app /app`],
      ['COPY --from stage name in other case', `FROM golang:1.22@${D} AS builder\nFROM alpine@${D}\nCOPY --from=Builder /a /b`],
      ['RUN --mount from a stage', `FROM golang:1.22@${D} AS src\nFROM alpine@${D}\nRUN --mount=type=bind,from=src,target=/s ls /s`],
      ['COPY --from a stage ARG naming a stage', `FROM golang:1.22@${D} AS build\nFROM alpine@${D}\nARG FROM_STAGE=build\nCOPY --from=\${FROM_STAGE} /a /b`],
      ['# syntax= with digest', `# syntax=docker/dockerfile:1.7@${D}\nFROM alpine@${D}`],
      ['ADD --from is not a thing', `FROM alpine@${D}\nADD --from=nginx /a /b`],
    ])('%s', (_name, code) => {
      expect(flagged(rule, code)).toEqual([]);
    });
  });

  describe('image sites of the model this rule relies on', () => {
    const site = (code: string) => parseDockerfile(code).imageSites.map((s) => ({ kind: s.kind, text: code.slice(s.span.start, s.span.end), value: s.value }));

    it('stage names are case-insensitive (AS Build, FROM build)', () => {
      expect(site('FROM ubuntu:22.04 AS Build\nFROM build').map((s) => s.text)).toEqual(['ubuntu:22.04']);
      expect(parseDockerfile('FROM ubuntu:22.04 AS Build\nFROM build').stages[1].baseStage).toBe(0);
    });

    it('FROM app before AS app is defined is an image', () => {
      expect(site('FROM app\nFROM node:20 AS app').map((s) => s.text)).toEqual(['app', 'node:20']);
    });

    it('COPY --from=0 is a stage index, COPY --from=nginx an image', () => {
      expect(site('FROM node:20 AS b\nFROM alpine\nCOPY --from=0 /a /b\nCOPY --from=B /a /b\nCOPY --from=nginx /a /b')).toEqual([
        { kind: 'from', text: 'node:20', value: 'node:20' },
        { kind: 'from', text: 'alpine', value: 'alpine' },
        { kind: 'copy-from', text: 'nginx', value: 'nginx' },
      ]);
    });

    it('--platform=$BUILDPLATFORM is not part of the reference', () => {
      expect(site('FROM --platform=$BUILDPLATFORM golang:1.22 AS build')).toEqual([{ kind: 'from', text: 'golang:1.22', value: 'golang:1.22' }]);
    });

    it('a literal FROM --platform=os/arch[/variant] is kept on the site; variables and other instructions have none', () => {
      const platforms = (code: string) => parseDockerfile(code).imageSites.map((s) => s.platform);
      expect(platforms('FROM --platform=linux/amd64 golang:1.22 AS a\nFROM --platform=linux/arm/v7 alpine\nFROM debian')).toEqual(['linux/amd64', 'linux/arm/v7', undefined]);
      expect(platforms('ARG P=linux/amd64\nFROM --platform=$P alpine\nFROM --platform=${BUILDPLATFORM} alpine\nFROM --platform=$TARGETPLATFORM alpine')).toEqual([undefined, undefined, undefined]);
      expect(platforms('FROM --platform=linux/amd64 alpine AS a\nCOPY --from=nginx /a /b\nRUN --mount=from=busybox,target=/x true')).toEqual(['linux/amd64', undefined, undefined]);
    });

    it('localhost:5000/team/app:1.2@sha256:… is parsed into registry, path, tag and digest', () => {
      const [s] = parseDockerfile(`FROM localhost:5000/team/app:1.2@${D}`).imageSites;
      expect(s.ref).toEqual({ registry: 'localhost:5000', path: 'team/app', tag: '1.2', digest: D, normalizedName: 'localhost:5000/team/app' });
    });

    it('${BASE:-debian:12} resolves to debian:12', () => {
      const [s] = parseDockerfile('FROM ${BASE:-debian:12}').imageSites;
      expect([s.value, s.ref?.path, s.ref?.tag]).toEqual(['debian:12', 'debian', '12']);
    });

    describe('quotes are removed as BuildKit does (issue 9: `FROM alpine:"${ALPINE_TAG}"` is not unparsable)', () => {
      it.each([
        ['double quotes around a variable', 'ARG ALPINE_TAG=3.19\nFROM alpine:"${ALPINE_TAG}"', 'alpine:"${ALPINE_TAG}"', 'alpine:3.19'],
        ['double quotes around the whole reference', 'FROM "alpine:3.19"', '"alpine:3.19"', 'alpine:3.19'],
        ['single quotes are literal', "FROM 'alpine:3.19'", "'alpine:3.19'", 'alpine:3.19'],
        ['an escaped quote inside double quotes', 'FROM "alpine\\"x"', '"alpine\\"x"', 'alpine"x'],
        ['COPY --from in double quotes', `FROM alpine@${D}\nCOPY --from="nginx:1.27.3" /a /b`, '"nginx:1.27.3"', 'nginx:1.27.3'],
        ['RUN --mount from= in single quotes', `FROM alpine@${D}\nRUN --mount=type=bind,from='busybox:1.36.1',target=/bb true`, "'busybox:1.36.1'", 'busybox:1.36.1'],
      ])('%s', (_name, code, text, value) => {
        const sites = site(code).filter((s) => s.text !== `alpine@${D}`);
        expect(sites.map((s) => [s.text, s.value])).toEqual([[text, value]]);
      });

      it('single quotes keep a variable literal; an unterminated quote is reported as such', () => {
        expect(lint(rule, "ARG T=3\nFROM alpine:'${T}'").map((f) => f.message)).toEqual([
          "base image 'alpine:${T}' cannot be parsed: 'alpine:${T}' is not a valid image reference",
        ]);
        expect(lint(rule, 'FROM "alpine:3').map((f) => f.message)).toEqual([`base image '"alpine:3' cannot be parsed: unterminated double quote`]);
      });

      it('the quoted reference is reported with its value and range', () => {
        const code = 'ARG ALPINE_TAG=3.19\nFROM alpine:"${ALPINE_TAG}" AS a';
        const [f] = lint(rule, code);
        expect([f.text, f.message]).toEqual([
          'alpine:"${ALPINE_TAG}"',
          "base image 'alpine:3.19' (from ARG ALPINE_TAG) has no digest: pin it as 'alpine:3.19@sha256:<digest>'",
        ]);
      });
    });

    describe("BuildKit's automatic ARGs (issue 9: `FROM binaries-$TARGETOS` is a stage, not an undeclared variable)", () => {
      const multi = `FROM alpine@${D} AS binaries-linux\nFROM alpine@${D} AS binaries-windows\n`;

      it('a FROM naming stages through TARGETOS is a stage reference: no image, no finding', () => {
        const code = `${multi}FROM binaries-$TARGETOS AS out\nFROM binaries-\${TARGETOS}`;
        expect(site(code).map((s) => s.text)).toEqual([`alpine@${D}`, `alpine@${D}`]);
        expect(lint(rule, code)).toEqual([]);
      });

      it('with one stage it can be, that stage is the base', () => {
        const m = parseDockerfile(`FROM alpine@${D} AS build-amd64\nFROM build-\${TARGETARCH}\nFROM build-\${BUILDARCH}-x`);
        expect([m.stages[1].baseStage, m.stages[2].baseStage, m.imageSites.length]).toEqual([0, undefined, 2]);
      });

      it.each(['TARGETPLATFORM', 'TARGETOS', 'TARGETARCH', 'TARGETVARIANT', 'BUILDPLATFORM', 'BUILDOS', 'BUILDARCH', 'BUILDVARIANT', 'TARGETSTAGE'])(
        '%s is automatic for FROM (never undeclared)',
        (name) => {
          const [f] = lint(rule, `FROM ${name.toLowerCase()}/img:\${${name}}`);
          expect(f.message).toContain(`depends on ${name}, which BuildKit sets for each build`);
          expect(f.message).not.toContain('undeclared');
        },
      );

      it('an image that depends on the platform cannot be pinned to one digest: the finding says so, without a fix', () => {
        const [f] = lint(rule, 'FROM ${TARGETARCH}/alpine:3.19');
        expect(f.message).toBe(
          "base image '${TARGETARCH}/alpine:3.19' depends on TARGETARCH, which BuildKit sets for each build from the platform or target: " +
            'it names a different image per platform, which no single digest pins; name one multi-platform image (its index holds every platform) and pin that, or a stage per platform (FROM … AS name-amd64)',
        );
        expect(f.fix).toBeUndefined();
      });

      it('in a stage only after `ARG TARGETOS` without a value: COPY --from and RUN --mount from= can then name stages', () => {
        const code = `${multi}FROM alpine@${D}\nARG TARGETOS\nCOPY --from=binaries-\${TARGETOS} /a /b\nRUN --mount=from=binaries-$TARGETOS,target=/m true`;
        expect(lint(rule, code)).toEqual([]);
        const undeclared = lint(rule, `FROM alpine@${D}\nCOPY --from=img-\${TARGETOS}:1 /a /b`);
        expect(undeclared.map((f) => f.message)).toEqual([
          "COPY --from image 'img-${TARGETOS}:1' uses undeclared variable TARGETOS (BuildKit substitutes '', giving 'img-:1'): declare 'ARG TARGETOS=<value>' in this stage",
        ]);
      });

      it('a global `ARG TARGETARCH` without a value keeps BuildKit\'s value (not "no default")', () => {
        const [f] = lint(rule, 'ARG TARGETARCH\nFROM ${TARGETARCH}/alpine:3.19');
        expect(f.message).toContain('depends on TARGETARCH, which BuildKit sets');
      });
    });

    it('the syntax directive is a site', () => {
      expect(site('# syntax=docker/dockerfile:1\nFROM scratch')).toEqual([{ kind: 'syntax', text: 'docker/dockerfile:1', value: 'docker/dockerfile:1' }]);
    });
  });
});
