import rule from '../../src/rules/apt-upgrade';
import { flagged, lint } from '../helpers/lint';

const D = 'FROM debian:12.8-slim@sha256:' + 'a'.repeat(64) + '\n';

describe('apt-upgrade', () => {
  describe('must trigger', () => {
    it.each([
      ['apt-get upgrade', 'RUN apt-get update && apt-get upgrade -y', ['upgrade']],
      ['apt-get dist-upgrade', 'RUN apt-get dist-upgrade -y', ['dist-upgrade']],
      ['apt-get full-upgrade', 'RUN apt-get full-upgrade -y', ['full-upgrade']],
      ['apt upgrade', 'RUN apt upgrade -y', ['upgrade']],
      ['apt full-upgrade', 'RUN apt full-upgrade -y', ['full-upgrade']],
      ['aptitude safe-upgrade', 'RUN aptitude safe-upgrade -y', ['safe-upgrade']],
      ['aptitude full-upgrade', 'RUN aptitude full-upgrade -y', ['full-upgrade']],
      ['aptitude upgrade', 'RUN aptitude upgrade', ['upgrade']],
      ['options before the subcommand', 'RUN apt-get -y -o Dpkg::Options::=--force-confold upgrade', ['upgrade']],
      ['-q=2', 'RUN apt-get -q=2 -y upgrade', ['upgrade']],
      ['with named packages it still upgrades everything', 'RUN apt-get upgrade -y openssl', ['upgrade']],
      ['sudo and absolute path', 'RUN sudo /usr/bin/apt-get -y upgrade', ['upgrade']],
      ['ONBUILD', 'ONBUILD RUN apt-get upgrade -y', ['upgrade']],
      ['heredoc script', 'RUN <<EOF\napt-get update\napt-get -y dist-upgrade\nEOF', ['dist-upgrade']],
      ['sh -c', `RUN sh -c "apt-get update && apt-get upgrade -y"`, ['upgrade']],
      ['exec form', 'RUN ["apt-get", "upgrade", "-y"]', ['"upgrade"']],
      ['two in one RUN', 'RUN apt-get upgrade -y && apt-get dist-upgrade -y', ['upgrade', 'dist-upgrade']],
      ['after a comment line in a continuation', 'RUN apt-get update \\\n  # then\n  && apt-get upgrade -y', ['upgrade']],
    ])('%s', (_name, code, expected) => {
      expect(flagged(rule, D + code)).toEqual(expected);
    });

    it('is located at the subcommand and says why', () => {
      const found = lint(rule, D + 'RUN apt-get update \\\n && apt-get -y dist-upgrade');
      expect(found.map((f) => [f.line, f.column, f.text])).toEqual([[3, 16, 'dist-upgrade']]);
      expect(found[0].message).toBe(
        "'apt-get dist-upgrade' upgrades every installed package to whatever is newest on build day: " +
          'remove it and take updates from a newer, digest-pinned base image',
      );
      expect(found[0].fix).toBeUndefined();
    });
  });

  describe('must not trigger', () => {
    it.each([
      ['install --only-upgrade names its packages', 'RUN apt-get install --only-upgrade -y openssl=3.0.15-1~deb12u1'],
      ['install --only-upgrade unpinned is apt-pin', 'RUN apt-get install --only-upgrade -y openssl'],
      ['apt-get update', 'RUN apt-get update'],
      ['apt-get install', 'RUN apt-get install -y curl'],
      ['package named upgrade', 'RUN apt-get install -y upgrade'],
      ['-o value mentioning upgrade', 'RUN apt-get -o APT::Get::upgrade=true install -y curl=7.88.1-10'],
      ['-t value', 'RUN apt-get -t upgrade install -y curl=7.88.1-10'],
      ['apk upgrade is another package manager', 'RUN apk upgrade'],
      ['dnf upgrade', 'RUN dnf upgrade -y'],
      ['pip upgrade flag', 'RUN pip install --upgrade pip'],
      ['do-release-upgrade', 'RUN do-release-upgrade'],
      ['unattended-upgrade', 'RUN unattended-upgrade -d'],
      ['unknown subcommand', 'RUN apt-get -y $APT_CMD'],
      ['data heredoc', 'RUN cat > /x.sh <<EOF\napt-get upgrade -y\nEOF'],
      ['echoed', 'RUN echo "apt-get upgrade"'],
      ['comment', 'RUN true # apt-get upgrade'],
      ['comment line in a continuation', 'RUN apt-get update \\\n  # && apt-get upgrade -y\n  && true'],
      ['aptitude search', 'RUN aptitude search upgrade'],
    ])('%s', (_name, code) => {
      expect(flagged(rule, D + code)).toEqual([]);
    });
  });
});
