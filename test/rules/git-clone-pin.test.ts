import rule from '../../src/rules/git-clone-pin';
import { flagged, lint } from '../helpers/lint';

const D = 'FROM debian:12.7@sha256:' + 'a'.repeat(64) + '\n';
const R = 'https://github.com/o/r.git';
const C = '0123456789abcdef0123456789abcdef01234567';

describe('git-clone-pin', () => {
  describe('must trigger', () => {
    it.each([
      ['plain clone', `RUN git clone ${R}`, [R]],
      ['--depth 1 --branch tag dir', `RUN git clone --depth 1 --branch v1.2.3 ${R} /src`, [R]],
      ['-b branch', `RUN git clone -b main ${R}`, [R]],
      ['option values are not the URL', `RUN git clone --depth 1 -c core.autocrlf=false -o up --filter blob:none --reference /cache -j 4 --template /t -u /usr/bin/git-upload-pack --shallow-since 2020-01-01 --shallow-exclude v1 --separate-git-dir /g --config http.sslVerify=true --origin up2 --jobs 2 --upload-pack git-upload-pack --recurse-submodules --single-branch --no-tags -q ${R} /src`, [R]],
      ['--opt=value forms', `RUN git clone --depth=1 --branch=v2.0.0 --filter=blob:none ${R}`, [R]],
      ['git -C dir clone', `RUN git -C /src clone ${R}`, [R]],
      ['through sudo', `RUN sudo -u app git clone ${R} /home/app/r`, [R]],
      ['scp-style URL', 'RUN git clone git@github.com:o/r.git', ['git@github.com:o/r.git']],
      ['URL from an ARG default', `ARG REPO=${R}\nRUN git clone "$REPO" /src`, ['"$REPO"']],
      ['unknown URL is still unpinned', 'ARG REPO\nRUN git clone "$REPO" /src', ['"$REPO"']],
      ['unknown -b is a branch or tag, never a commit', `ARG BRANCH\nRUN git clone -b "$BRANCH" ${R}`, [R]],
      ['checkout of a tag', `RUN git clone ${R} && cd r && git checkout v1.2.3`, [R]],
      ['checkout of a short commit', `RUN git clone ${R} && cd r && git checkout 0123456`, [R]],
      ['checkout of an ARG default that is not a commit', `ARG VERSION=v1.2\nRUN git clone ${R} && cd r && git checkout "$VERSION"`, [R]],
      ['reset --hard to a branch', `RUN git clone ${R} /src && cd /src && git reset --hard origin/main`, [R]],
      ['fetch of a tag then FETCH_HEAD', `RUN git clone ${R} && cd r && git fetch origin v1 && git checkout FETCH_HEAD`, [R]],
      ['--revision at a tag (git 2.49)', `RUN git clone --revision=refs/tags/v1.2 ${R}`, [R]],
      ['the checkout belongs to the other clone', `RUN git clone https://x.example/a.git && git clone https://x.example/b.git && cd b && git checkout ${C}`, ['https://x.example/a.git']],
      ['a checkout before the clone does not count', `RUN git -C /old checkout ${C} && git clone ${R}`, [R]],
      ['a checkout in another stage does not count', `RUN git clone ${R} /r\nFROM debian:12.7@sha256:${'a'.repeat(64)}\nWORKDIR /r\nRUN git checkout ${C}`, [R]],
      ['no URL: at the clone word', 'RUN git clone', ['clone']],
      ['ONBUILD', `ONBUILD RUN git clone ${R}`, [R]],
      ['heredoc script', `RUN <<EOF\nset -e\ngit clone ${R} /src\nEOF`, [R]],
      ['sh -c', `RUN sh -c 'git clone ${R} && cd r && make'`, [R]],
      ['exec form', `RUN ["git", "clone", "${R}"]`, [`"${R}"`]],
      ['continuation lines', `RUN apt-get update \\\n && git clone \\\n      --depth 1 \\\n      ${R} /src`, [R]],
    ])('%s', (_name, code, expected) => {
      expect(flagged(rule, D + code)).toEqual(expected);
    });

    it('reports the URL position and the default branch', () => {
      const found = lint(rule, D + `RUN set -eux; \\\n    git clone --depth 1 ${R} /src`);
      expect(found.map((f) => [f.line, f.column, f.text])).toEqual([[3, 25, R]]);
      expect(found[0].message).toBe(
        `git clone of '${R}' takes whatever its default branch points to at build time: check out a full commit id after cloning (git checkout <40-hex commit>)`,
      );
      const text = D + `RUN set -eux; \\\n    git clone --depth 1 ${R} /src`;
      expect(found[0].fix).toEqual({ kind: 'git-commit', url: R, order: 'tag-first', pin: { after: text.length, dir: '/src', shallow: true } });
    });

    it('says that a --branch tag can move', () => {
      const [f] = lint(rule, D + `RUN git clone --depth 1 --branch v1.2.3 ${R} /src`);
      expect(f.message).toBe(
        `git clone of '${R}' is at tag 'v1.2.3' (tags can be moved): check out a full commit id after cloning (git checkout <40-hex commit>)`,
      );
      expect(f.fix).toMatchObject({ kind: 'git-commit', url: R, ref: 'v1.2.3', order: 'branch-first', pin: { dir: '/src', shallow: true } });
    });

    it('names the ARG a non-commit checkout comes from', () => {
      const [f] = lint(rule, D + `ARG VERSION=v1.2\nRUN git clone ${R} /src && git -C /src checkout "$VERSION"`);
      expect(f.message).toBe(
        `git clone of '${R}' checks out tag 'v1.2' from $VERSION (tags can be moved): check out a full commit id after cloning (git checkout <40-hex commit>)`,
      );
      const text = D + `ARG VERSION=v1.2\nRUN git clone ${R} /src && git -C /src checkout "$VERSION"`;
      const at = text.indexOf('"$VERSION"');
      expect(f.fix).toEqual({ kind: 'git-commit', url: R, ref: 'v1.2', order: 'tag-first', pin: { at: { start: at, end: at + '"$VERSION"'.length } } });
    });

    it('says a short commit is only a prefix', () => {
      const [f] = lint(rule, D + `RUN git clone ${R} && cd r && git checkout 0123456`);
      expect(f.message).toContain("checks out commit prefix '0123456' (a short id can match other commits)");
      expect(f.fix).toMatchObject({ kind: 'git-commit', url: R, ref: '0123456', order: 'tag-first' });
    });

    it('gives the fixer the folder the clone creates and whether it is shallow', () => {
      const pinOf = (code: string) => (lint(rule, D + code)[0].fix as { pin: unknown }).pin;
      expect(pinOf(`RUN git clone ${R}`)).toMatchObject({ dir: 'r', shallow: false });
      expect(pinOf(`RUN git clone https://h/o/tool.git/`)).toMatchObject({ dir: 'tool' });
      expect(pinOf(`RUN git -C /opt clone ${R} lib`)).toMatchObject({ dir: '/opt/lib' });
      expect(pinOf(`RUN git clone ${R} "$DEST"`)).toMatchObject({ dir: null });
      expect(pinOf(`RUN git clone --shallow-since=2024-01-01 ${R} x`)).toMatchObject({ dir: 'x', shallow: true });
      expect(pinOf(`RUN git clone ${R} /src && cd /src && git switch main`)).toMatchObject({ attach: true });
    });

    it('calls a non-version ref a branch or tag', () => {
      const [f] = lint(rule, D + `RUN git clone -b main ${R}`);
      expect(f.message).toContain("is at 'main' (a branch or tag, which can move)");
    });
  });

  describe('must not trigger', () => {
    it.each([
      ['checkout of a commit', `RUN git clone ${R} && cd r && git checkout ${C}`],
      ['checkout -q --detach', `RUN git clone ${R} && cd r && git checkout -q --detach ${C}`],
      ['checkout -b name commit', `RUN git clone ${R} && cd r && git checkout -b build ${C}`],
      ['upper-case commit', `RUN git clone ${R} && cd r && git checkout ${C.toUpperCase()}`],
      ['SHA-256 repository', `RUN git clone ${R} && cd r && git checkout ${'c'.repeat(64)}`],
      ['git -C dir checkout', `RUN git clone ${R} && git -C r checkout ${C}`],
      ['git -c … -C dir checkout', `RUN git clone ${R} /src/r && git -c advice.detachedHead=false -C /src/r checkout ${C}`],
      ['reset --hard', `RUN git clone ${R} /src && git -C /src reset --hard ${C}`],
      ['switch --detach', `RUN git clone ${R} \\\n && cd r \\\n && git switch --detach ${C}`],
      ['switch -c name commit', `RUN git clone ${R} && cd r && git switch -c build ${C}`],
      ['fetch a commit, checkout FETCH_HEAD', `RUN git clone --depth 1 ${R} && cd r && git fetch --depth 1 origin ${C} && git checkout FETCH_HEAD`],
      ['--branch tag then a commit', `RUN git clone --depth 50 --branch v1.2.3 ${R} /src && cd /src && git checkout ${C}`],
      ['--revision at a commit (git 2.49)', `RUN git clone --revision=${C} ${R}`],
      ['commit from an ARG default', `ARG SHA=${C}\nRUN git clone ${R} && cd r && git checkout $SHA`],
      ['commit from an ARG without default (unknown)', `ARG COMMIT\nRUN git clone ${R} && cd r && git checkout "$COMMIT"`],
      ['commit from ENV', `ENV COMMIT=${C}\nRUN git clone ${R} && cd r && git checkout \${COMMIT}`],
      ['commit computed at build time (unknown)', `RUN git clone ${R} && cd r && git checkout "$(cat /commit)"`],
      ['checkout in a later RUN of the stage', `RUN git clone ${R} /src/r\nWORKDIR /src/r\nRUN git checkout ${C}`],
      ['each clone with its own checkout', `RUN git clone https://x.example/a.git && git clone https://x.example/b.git && (cd a && git checkout ${C}) && (cd b && git checkout ${C})`],
      ['clone into . then checkout', `WORKDIR /src\nRUN git clone ${R} . && git checkout ${C}`],
      ['ONBUILD with checkout', `ONBUILD RUN git clone ${R} && cd r && git checkout ${C}`],
      ['heredoc with checkout', `RUN <<EOF\ngit clone ${R} /src\ncd /src\ngit checkout ${C}\nEOF`],
      ['sh -c with checkout', `RUN sh -c 'git clone ${R} && cd r && git checkout ${C}'`],
      ['--revision commit as a separate word', `RUN git clone --revision ${C} ${R}`],
      ['checkout commit -- paths', `RUN git clone ${R} && cd r && git checkout ${C} -- .`],
      ['fetch commit:ref then FETCH_HEAD', `RUN git clone ${R} && cd r && git fetch origin +${C}:refs/tmp && git checkout FETCH_HEAD`],
      ['a later commit checkout wins over a tag', `RUN git clone ${R} && cd r && git checkout tags/v1 && git checkout ${C}`],
      ['reset then submodules', `RUN git clone ${R} && cd r && git reset --hard ${C} && git submodule update --init --recursive`],
      ['later RUN with cd', `RUN git clone ${R} /src/r\nRUN cd /src/r && git checkout ${C}`],
      ['later RUN with git -C', `RUN git clone ${R} /src/r\nRUN git -C /src/r checkout ${C}`],
      ['git ls-remote is not clone', `RUN git ls-remote ${R} refs/tags/v1`],
      ['git config is not clone', 'RUN git config --global url."https://github.com/".insteadOf git@github.com:'],
      ['pip VCS install is not git clone', `RUN pip install git+${R}@v1.2#egg=r`],
      ['local repository', 'RUN git clone /src/repo /dst'],
      ['relative local repository', 'RUN git clone ./vendor/lib /opt/lib'],
      ['file:// repository', 'RUN git clone file:///src/repo /dst'],
      ['clone in a data heredoc', `RUN cat > /x.sh <<EOF\ngit clone ${R}\nEOF`],
      ['clone in a string', `RUN echo "git clone ${R}"`],
      ['git pull is not clone', 'RUN git pull'],
    ])('%s', (_name, code) => {
      expect(flagged(rule, D + code)).toEqual([]);
    });
  });
});
