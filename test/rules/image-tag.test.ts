import rule from '../../src/rules/image-tag';
import { isPreciseTag } from '../../src/parse/imageRef';
import { parseDockerfile } from '../../src/parse/dockerfile';
import { lintModel } from '../../src/lint';
import digestRule from '../../src/rules/image-digest';
import { flagged, lint } from '../helpers/lint';

const D = 'sha256:' + 'a'.repeat(64);

describe('image-tag', () => {
  describe('must trigger', () => {
    it.each([
      ['B1 no tag', 'FROM python', ['python']],
      ['B1 with AS', 'FROM debian AS builder', ['debian']],
      ['B2 latest', 'FROM python:latest', ['python:latest']],
      ['B3 major only', 'FROM python:3', ['python:3']],
      ['major.minor', 'FROM python:3.12', ['python:3.12']],
      ['major with variant', 'FROM node:20-alpine', ['node:20-alpine']],
      ['Ubuntu release', 'FROM ubuntu:22.04', ['ubuntu:22.04']],
      ['codename', 'FROM debian:bookworm-slim', ['debian:bookworm-slim']],
      ['lts', 'FROM node:lts', ['node:lts']],
      ['edge', 'FROM alpine:edge', ['alpine:edge']],
      ['alpine3.20 variant is still floating', 'FROM python:3.12-alpine3.20', ['python:3.12-alpine3.20']],
      ['B10 alias defined after use', `FROM app\nFROM node:20.18.0@${D} AS app`, ['app']],
      ['B12 latest from ARG default', 'ARG TAG=latest\nFROM debian:${TAG}', ['debian:${TAG}']],
      ['B11 floating tag from ARG default', 'ARG BASE=python:3.12-slim\nFROM ${BASE}', ['${BASE}']],
      ['B16 default modifier', 'FROM ${BASE:-debian:12}', ['${BASE:-debian:12}']],
      ['B17 registry port is not a tag', 'FROM localhost:5000/team/app', ['localhost:5000/team/app']],
      ['B19 --platform', 'FROM --platform=$BUILDPLATFORM golang:1.22 AS build', ['golang:1.22']],
      ['B23 stages are skipped', 'FROM node:20 AS deps\nFROM deps AS build\nFROM gcr.io/distroless/nodejs20-debian12', ['node:20', 'gcr.io/distroless/nodejs20-debian12']],
      ['COPY --from image', 'FROM alpine:3.20.3\nCOPY --from=nginx:mainline /a /b', ['nginx:mainline']],
      ['RUN --mount from= image', 'FROM alpine:3.20.3\nRUN --mount=from=busybox:stable,target=/bb true', ['busybox:stable']],
      ['ONBUILD COPY --from', 'FROM alpine:3.20.3\nONBUILD COPY --from=nginx /a /b', ['nginx']],
      ['# syntax= directive', '# syntax=docker/dockerfile:1\nFROM alpine:3.20.3', ['docker/dockerfile:1']],
    ])('%s', (_name, code, expected) => {
      expect(flagged(rule, code)).toEqual(expected);
    });

    it('distinguishes no tag, latest and a floating tag', () => {
      const found = lint(rule, 'FROM python\nFROM python:latest\nFROM python:3.12');
      expect(found.map((f) => [f.line, f.column, f.message])).toEqual([
        [1, 6, "base image 'python' has no tag (means latest): use a precise version tag such as 'python:<x.y.z>', or pin a digest"],
        [2, 6, "base image 'python:latest' uses 'latest', which moves with every release: use a precise version tag (x.y.z), or pin a digest"],
        [3, 6, "base image 'python:3.12' has a floating tag '3.12', which moves to newer releases: use a precise version tag (x.y.z or a date stamp), or pin a digest"],
      ]);
      expect(found.map((f) => f.fix)).toEqual([
        { kind: 'image-tag', image: 'python' },
        { kind: 'image-tag', image: 'python:latest' },
        { kind: 'image-tag', image: 'python:3.12' },
      ]);
    });

    it('mentions the ARG a reference comes from', () => {
      expect(lint(rule, 'ARG BASE=python:3\nFROM $BASE').map((f) => [f.line, f.text, f.message])).toEqual([
        [2, '$BASE', "base image 'python:3' (from ARG BASE) has a floating tag '3', which moves to newer releases: use a precise version tag (x.y.z or a date stamp), or pin a digest"],
      ]);
    });
  });

  describe('must not trigger', () => {
    it.each([
      ['precise version', 'FROM python:3.12.7'],
      ['precise with variant', 'FROM nginx:1.27.3-alpine'],
      ['precise with variant and codename', 'FROM python:3.12.7-slim-bookworm'],
      ['date-stamped codename', 'FROM debian:bookworm-20241111'],
      ['B5 tag and digest', `FROM python:3.12.4-slim@${D}`],
      ['B6 digest only', `FROM python@${D}`],
      ['B7 latest with digest', `FROM debian:latest@${D}`],
      ['floating tag with digest', `FROM node:20@${D}`],
      ['B8 scratch', 'FROM scratch'],
      ['B9 stage name', 'FROM golang:1.22.9 AS build\nFROM build AS test'],
      ['B21 stage names are case-insensitive', 'FROM ubuntu:22.04.5 AS Build\nFROM build'],
      ['B15 ARG with digest', `ARG IMG=python:3.12@${D}\nFROM \${IMG}`],
      ['B18 registry port, path, tag and digest', `FROM localhost:5000/team/app:1.2@${D}`],
      ['precise tag from an ARG', 'ARG V=3.12.7\nFROM python:${V}-slim'],
      ['COPY --from stage index', 'FROM golang:1.22.9\nFROM alpine:3.20.3\nCOPY --from=0 /a /b'],
      ['RUN --mount from a stage', 'FROM golang:1.22.9 AS src\nFROM alpine:3.20.3\nRUN --mount=from=src,target=/s true'],
      // Left to image-digest, which explains them better:
      ['B13 ARG without default', 'ARG TAG\nFROM debian:${TAG}'],
      ['B14 undeclared variable', 'FROM img${SUFFIX}'],
      ['B20 malformed digest', 'FROM python:3@sha256:abc123'],
      ['malformed digest that parses', `FROM python:3@sha256:${'A'.repeat(64)}`],
      ['unparsable name', 'FROM Python:3'],
    ])('%s', (_name, code) => {
      expect(flagged(rule, code)).toEqual([]);
    });
  });

  describe('precise and floating tags', () => {
    it.each([
      '3.12.7', '1.27.3-alpine', '3.12.7-slim-bookworm', 'bookworm-20241111', '20241111', '2024.11.11', 'v1.2.3',
      '1.2.3-r1', '8u432-b06', '8u432-b06-jdk', '8u342', '8u342-jdk', '21.0.5_11-jdk', '20.18.0-alpine3.20', '10.0.20348.2762', '1.2.3rc1', 'sha-3f2a9c1', '3f2a9c1',
      '2024-11-11', 'RELEASE.2025-09-07T16-13-09Z', 'vso-focal-20220429.1',
    ])('%s is precise', (tag) => {
      expect(isPreciseTag(tag)).toBe(true);
    });

    it.each([
      '3', '3.12', '20-alpine', '22.04', 'lts', 'bookworm', 'bookworm-slim', 'stable', 'alpine', 'mainline', 'edge',
      'v2', '8', '8-jdk', 'alpine3.20', '1234567', 'deadbeef', 'ltsc2022', '2024-11', 'buildroot-2014.02',
    ])('%s floats', (tag) => {
      expect(isPreciseTag(tag)).toBe(false);
    });
  });

  it('B22 a hadolint DL3006 pragma suppresses it', () => {
    expect(flagged(rule, '# hadolint ignore=DL3006\nFROM ubuntu')).toEqual([]);
    expect(flagged(rule, '# hadolint ignore=DL3007\nFROM ubuntu:latest')).toEqual([]);
  });

  it('reports nothing image-digest reports for another reason (no double reports)', () => {
    const model = parseDockerfile('ARG TAG\nFROM debian:${TAG}\nFROM img${X}\nFROM python:3@sha256:abc123');
    const found = lintModel(model, { rules: [rule, digestRule] });
    expect(found.map((f) => f.rule)).toEqual(['image-digest', 'image-digest', 'image-digest']);
  });
});
