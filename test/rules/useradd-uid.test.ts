import rule from '../../src/rules/useradd-uid';
import { flagged, lint } from '../helpers/lint';

const DIGEST = '@sha256:' + 'a'.repeat(64);
/** A base image whose family is unknown (the option style decides). */
const D = `FROM example.com/base:1.0.0${DIGEST}\n`;
const DEBIAN = `FROM debian:12.8-slim${DIGEST}\n`;
const ALPINE = `FROM alpine:3.20.3${DIGEST}\n`;
const FEDORA = `FROM fedora:41${DIGEST}\n`;

describe('useradd-uid', () => {
  describe('must trigger', () => {
    it.each([
      ['U11 useradd', 'RUN useradd app', ['app']],
      ['useradd with other options', 'RUN useradd -m -s /bin/bash -c "App user" app', ['app']],
      ['-g is the primary group, not a uid', 'RUN useradd -g app -G audio,video app', ['app']],
      ['--system still allocates', 'RUN useradd --system --no-create-home app', ['app']],
      ['-r', 'RUN useradd -r -l app', ['app']],
      ['U12 busybox adduser -D', 'RUN adduser -D app', ['app']],
      ['U12 Debian adduser --system', 'RUN adduser --system app', ['app']],
      ['busybox -g is GECOS', "RUN adduser -D -g '' -G www-data app", ['app']],
      ['busybox -S -G', 'RUN adduser -S -G app -h /srv app', ['app']],
      ['Debian adduser', "RUN adduser --disabled-password --gecos '' app", ['app']],
      ['Debian adduser --system --group', 'RUN adduser --system --group --no-create-home app', ['app']],
      ['Debian adduser --gid is a group, not a uid', 'RUN adduser --gid 10001 --disabled-password app', ['app']],
      ['Debian adduser --group creates a group', 'RUN adduser --group builders', ['builders']],
      ['groupadd', 'RUN groupadd app', ['app']],
      ['groupadd -r', 'RUN groupadd -r -f app', ['app']],
      ['busybox addgroup -S', 'RUN addgroup -S app', ['app']],
      ['Debian addgroup --system', 'RUN addgroup --system app', ['app']],
      ['Alpine pair', 'RUN addgroup -S app && adduser -S -G app app', ['app', 'app']],
      ['Debian pair', 'RUN groupadd app && useradd -g app app', ['app', 'app']],
      ['busybox wrapper', 'RUN busybox adduser -D app', ['app']],
      ['sudo', 'RUN sudo useradd app', ['app']],
      ['sh -c', `RUN sh -c 'useradd app'`, ['app']],
      ['absolute path', 'RUN /usr/sbin/useradd app', ['app']],
      ['exec form', 'RUN ["useradd", "-m", "app"]', ['"app"']],
      ['ONBUILD', 'ONBUILD RUN useradd app', ['app']],
      ['heredoc', 'RUN <<EOF\nset -e\nuseradd -m app\nEOF', ['app']],
      ['continuation', 'RUN apt-get clean \\\n && useradd \\\n   -m app', ['app']],
      ['name from an ARG default', 'ARG USER=app\nRUN useradd -m "$USER"', ['"$USER"']],
      ['unknown name after options', 'ARG USER\nRUN useradd -m $USER', ['$USER']],
      ['uid option of another command', 'RUN useradd app && chown -u 1000 x', ['app']],
    ])('%s', (_name, code, expected) => {
      expect(flagged(rule, D + code)).toEqual(expected);
    });

    it('reports at the name with a fix request (shadow useradd)', () => {
      const found = lint(rule, D + 'RUN useradd -g app \\\n    -m app');
      expect(found.map((f) => [f.line, f.column, f.text])).toEqual([[3, 8, 'app']]);
      expect(found[0].message).toBe(
        "useradd creates user 'app' with an implicit uid (the next free uid, which depends on the base image): add '--uid <uid>', e.g. '--uid 10001'",
      );
      expect(found[0].fix).toEqual({ kind: 'explicit-id', command: 'useradd', style: 'shadow', name: 'app', needs: ['uid'] });
    });

    it('mentions the private group whose gid follows the uid', () => {
      expect(lint(rule, D + 'RUN useradd app')[0].message).toBe(
        "useradd creates user 'app' with an implicit uid (the next free uid, which depends on the base image; its own group's gid follows it): add '--uid <uid>', e.g. '--uid 10001'",
      );
    });

    it('groups need a gid, system ids say so', () => {
      const found = lint(rule, D + 'RUN groupadd --system app');
      expect(found[0].message).toBe(
        "groupadd creates system group 'app' with an implicit gid (the next free system gid, which depends on the base image): add '--gid <gid>', e.g. '--gid 10001'",
      );
      expect(found[0].fix).toEqual({ kind: 'explicit-id', command: 'groupadd', style: 'shadow', name: 'app', needs: ['gid'] });
    });

    it.each([
      ['busybox by options', D, 'RUN adduser -D app', 'adduser', 'busybox', 'uid', '-u'],
      ['busybox by image', ALPINE, 'RUN adduser --disabled-password app', 'adduser', 'busybox', 'uid', '-u'],
      ['busybox addgroup', ALPINE, 'RUN addgroup app', 'addgroup', 'busybox', 'gid', '-g'],
      ['Debian by options', D, 'RUN adduser --disabled-password app', 'adduser', 'debian', 'uid', '--uid'],
      ['Debian by image', DEBIAN, 'RUN adduser app', 'adduser', 'debian', 'uid', '--uid'],
      ['Debian addgroup', DEBIAN, 'RUN addgroup --system app', 'addgroup', 'debian', 'gid', '--gid'],
      ['Debian through a stage', `${DEBIAN.trim()} AS base\nFROM base\n`, 'RUN adduser app', 'adduser', 'debian', 'uid', '--uid'],
      ['Debian by codename', `FROM node:20.18.0-bookworm${DIGEST}\n`, 'RUN adduser app', 'adduser', 'debian', 'uid', '--uid'],
      ['UBI adduser is useradd', `FROM registry.access.redhat.com/ubi9/ubi-minimal:9.5${DIGEST}\n`, 'RUN adduser app', 'adduser', 'shadow', 'uid', '--uid'],
      ['Fedora adduser is useradd', FEDORA, 'RUN adduser -m app', 'adduser', 'shadow', 'uid', '--uid'],
      ['shadow by options', D, 'RUN adduser -m -r app', 'adduser', 'shadow', 'uid', '--uid'],
    ])('style: %s', (_name, from, code, command, style, id, option) => {
      const found = lint(rule, from + code);
      expect(found).toHaveLength(1);
      expect(found[0].fix).toEqual({ kind: 'explicit-id', command, style, name: 'app', needs: [id] });
      expect(found[0].message).toContain(`add '${option} <${id}>'`);
    });

    it('busybox -S: the group is nogroup, so no private-group note', () => {
      expect(lint(rule, ALPINE + 'RUN adduser -S app')[0].message).toBe(
        "adduser creates system user 'app' with an implicit uid (the next free system uid, which depends on the base image): add '-u <uid>', e.g. '-u 10001'",
      );
    });

    it('reports at the command when there is no name', () => {
      const found = lint(rule, D + 'RUN useradd -m');
      expect(found.map((f) => [f.text, f.message])).toEqual([
        ['useradd', "useradd creates a user with an implicit uid (the next free uid, which depends on the base image; its own group's gid follows it): add '--uid <uid>', e.g. '--uid 10001'"],
      ]);
    });

    it('uses the ARG value as the name', () => {
      expect(lint(rule, D + 'ARG USER=app\nRUN useradd -m "$USER"')[0].fix).toMatchObject({ name: 'app' });
    });
  });

  describe('must not trigger', () => {
    it.each([
      ['U13 high uid', 'RUN useradd -u 123456 app'],
      ['U14 -l -u', 'RUN useradd -l -u 10001 app'],
      ['--uid=', 'RUN useradd --uid=10001 app'],
      ['-u glued', 'RUN useradd -u10001 app'],
      ['uid and primary group', 'RUN groupadd -g 10001 app && useradd -u 10001 -g app app'],
      ['busybox -u', 'RUN adduser -D -u 10001 app'],
      ['busybox bundled -Du', 'RUN adduser -Du 10001 app'],
      ['busybox -g GECOS with -u', "RUN adduser -D -g 'App' -u 10001 -G app app"],
      ['Debian --uid', "RUN adduser --uid 10001 --disabled-password --gecos '' app"],
      ['Debian system with uid', 'RUN adduser --system --uid 999 --group app'],
      ['Debian --group with --gid', 'RUN adduser --group --gid 10001 builders'],
      ['adduser user group', 'RUN adduser app sudo'],
      ['busybox adduser user group', 'RUN adduser app wheel'],
      ['addgroup user group', 'RUN addgroup app wheel'],
      ['groupadd -g', 'RUN groupadd -g 10001 app'],
      ['groupadd --gid=', 'RUN groupadd --gid=10001 app'],
      ['addgroup -g', 'RUN addgroup -g 10001 -S app'],
      ['Debian addgroup --gid', 'RUN addgroup --system --gid 999 app'],
      ['uid from an unknown variable', 'RUN useradd -u $UID app'],
      ['uid from an ARG', 'ARG APP_UID=10001\nRUN useradd -u "$APP_UID" app'],
      ['uid from an ENV', 'ENV APP_UID=10001\nRUN useradd --uid "${APP_UID}" app'],
      ['uid from a command', 'RUN useradd -u "$(stat -c %u /srv)" app'],
      ['useradd -D sets defaults', 'RUN useradd -D -s /bin/bash'],
      ['options in an unknown variable', 'RUN useradd $USERADD_OPTS'],
      ['options in an unknown variable before the name', 'RUN useradd $USERADD_OPTS app'],
      ['--help', 'RUN useradd --help'],
      ['usermod is out of scope', 'RUN usermod -aG docker app'],
      ['groupmod is out of scope', 'RUN groupmod -n new old'],
      ['an echo argument', 'RUN echo useradd app'],
      ['heredoc data', 'RUN cat > /setup.sh <<EOF\nuseradd app\nEOF'],
      ['comment line in a continuation', 'RUN true \\\n  # useradd app\n  && true'],
    ])('%s', (_name, code) => {
      expect(flagged(rule, D + code)).toEqual([]);
    });
  });
});
