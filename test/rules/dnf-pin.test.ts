import rule from '../../src/rules/dnf-pin';
import { flagged, lint } from '../helpers/lint';

const D = 'FROM fedora:42@sha256:' + 'a'.repeat(64) + '\n';

describe('dnf-pin', () => {
  describe('must trigger', () => {
    it.each([
      ['R1 dnf', 'RUN dnf install -y tomcat', ['tomcat']],
      ['yum', 'RUN yum install -y httpd', ['httpd']],
      ['yum options after the packages', 'RUN yum install httpd -y', ['httpd']],
      ['microdnf', 'RUN microdnf install -y --nodocs shadow-utils', ['shadow-utils']],
      ['tdnf', 'RUN tdnf install -y curl', ['curl']],
      ['dnf5', 'RUN dnf5 install -y curl', ['curl']],
      ['-y before the subcommand', 'RUN dnf -y install curl', ['curl']],
      ['alias in', 'RUN dnf in -y curl', ['curl']],
      ['a name part is not a version', 'RUN dnf install -y rpm-sign', ['rpm-sign']],
      ['a digit in the middle of a name is not a version', 'RUN dnf install -y java-17-openjdk-headless', ['java-17-openjdk-headless']],
      ['one of several', 'RUN dnf install -y tomcat-9.0.1 git', ['git']],
      ['one finding per package', 'RUN dnf install -y curl git', ['curl', 'git']],
      ['arch qualifier', 'RUN dnf install -y glibc.i686', ['glibc.i686']],
      ['--enablerepo value', 'RUN dnf --enablerepo crb install -y ninja-build', ['ninja-build']],
      ['--setopt=', 'RUN dnf install -y --setopt=install_weak_deps=False curl', ['curl']],
      ['--releasever value', 'RUN dnf --releasever 9 --installroot /mnt install -y bash', ['bash']],
      ['-c value', 'RUN yum -c /etc/yum.conf install -y curl', ['curl']],
      ['-x value is an exclude', 'RUN dnf install -y -x kernel* make', ['make']],
      ['module without stream', 'RUN dnf module install -y nodejs', ['nodejs']],
      ['module with a profile but no stream', 'RUN dnf module install -y nodejs/common', ['nodejs/common']],
      ['file capability', 'RUN dnf install -y /usr/bin/python3', ['/usr/bin/python3']],
      ['named capability', `RUN dnf install -y 'perl(JSON::PP)'`, [`'perl(JSON::PP)'`]],
      ['R4 zypper', 'RUN zypper install -y tomcat', ['tomcat']],
      ['zypper in', 'RUN zypper --non-interactive in curl', ['curl']],
      ['zypper name-version is not its syntax', 'RUN zypper install -y tomcat-9.0.39', ['tomcat-9.0.39']],
      ['zypper --repo value', 'RUN zypper install -y --repo oss curl', ['curl']],
      ['zypper -r value', 'RUN zypper in -r oss -y curl', ['curl']],
      ['zypper global --root value', 'RUN zypper --root /mnt install -y curl', ['curl']],
      ['zypper -D is --dry-run after the command', 'RUN zypper install -D curl', ['curl']],
      ['zypper -t package', 'RUN zypper install -t package curl', ['curl']],
      ['sudo and absolute path', 'RUN sudo /usr/bin/dnf install -y curl', ['curl']],
      ['ONBUILD', 'ONBUILD RUN dnf install -y curl', ['curl']],
      ['heredoc script', 'RUN <<EOF\ndnf -y install curl\ndnf clean all\nEOF', ['curl']],
      ['exec form', 'RUN ["dnf", "install", "-y", "curl"]', ['"curl"']],
      ['ARG default unpinned', 'ARG PKG=which\nRUN yum install -y "$PKG"', ['"$PKG"']],
      ['continuation with comment line', 'RUN dnf install -y \\\n    # tools\n    tomcat-9.0.1 \\\n    git', ['git']],
    ])('%s', (_name, code, expected) => {
      expect(flagged(rule, D + code)).toEqual(expected);
    });

    it('reports line, column, message and fix request of each package', () => {
      const found = lint(rule, D + 'RUN dnf -y install \\\n    tomcat-9.0.1 curl');
      expect(found.map((f) => [f.line, f.column, f.text])).toEqual([[3, 18, 'curl']]);
      expect(found[0].message).toBe("dnf package 'curl' is not pinned: use 'curl-<version>'");
      expect(found[0].fix).toEqual({ kind: 'rpm-version', package: 'curl', manager: 'dnf' });
    });

    it.each([
      ['arch', 'RUN yum install -y glibc.i686', "yum package 'glibc.i686' is not pinned: use 'glibc-<version>.i686'", { kind: 'rpm-version', package: 'glibc', manager: 'yum', arch: 'i686' }],
      ['zypper', 'RUN zypper in -y tomcat', "zypper package 'tomcat' is not pinned: use 'tomcat=<version>'", { kind: 'rpm-version', package: 'tomcat', manager: 'zypper' }],
      ['module', 'RUN dnf module install -y nodejs/common', "dnf module 'nodejs/common' has no stream: use 'nodejs:<stream>/common'", { kind: 'rpm-version', package: 'nodejs', manager: 'dnf', module: true }],
      ['variable', 'ARG TOOLS="make which"\nRUN microdnf install -y $TOOLS', "microdnf package 'make' (from $TOOLS) is not pinned: use 'make-<version>'", { kind: 'rpm-version', package: 'make', manager: 'microdnf' }],
      ['capability', 'RUN dnf install -y /usr/bin/python3', "dnf capability '/usr/bin/python3' installs whatever package provides it: install that package by name with a version ('<name>-<version>')", undefined],
    ])('message and fix request: %s', (_name, code, message, fix) => {
      const [f] = lint(rule, D + code);
      expect([f.message, f.fix]).toEqual([message, fix]);
    });
  });

  describe('must not trigger', () => {
    it.each([
      ['R1 name-version', 'RUN dnf install -y tomcat-9.0.1'],
      ['epoch', 'RUN yum install -y openssl-1:1.1.1k'],
      ['name with dashes and pluses', 'RUN yum install -y gcc-c++-1.1.1'],
      ['version-release.arch', 'RUN dnf install -y curl-7.76.1-26.el9_3.2.x86_64'],
      ['wildcard version', `RUN dnf install -y 'tomcat-9.0.*'`],
      ['java with version', 'RUN dnf install -y java-17-openjdk-headless-17.0.13.0.11-3.el9'],
      ['.rpm file', 'RUN dnf install -y /tmp/foo-1.0-1.x86_64.rpm'],
      ['.rpm URL', 'RUN yum install -y https://dl.fedoraproject.org/pub/epel/epel-release-latest-9.noarch.rpm'],
      ['yum localinstall', 'RUN yum localinstall -y ./pkg.rpm'],
      ['R2 dnf group install (groups are exempt)', 'RUN dnf -y group install "Development Tools"'],
      ['yum groupinstall', 'RUN yum groupinstall -y "Development Tools"'],
      ['dnf groups install', 'RUN dnf groups install -y development-tools'],
      ['@group in install', 'RUN dnf install -y @development-tools'],
      ['module with stream', 'RUN dnf module install -y tomcat:9'],
      ['module with stream and profile', 'RUN dnf module install -y nodejs:20/common'],
      ['R3 ARG version (#1143)', 'ARG version=2.51.0-2.fc42\nRUN dnf -y install git-core-${version}'],
      ['ARG version with $name', 'ARG WHICH_VERSION=2.21\nRUN yum install -y which-$WHICH_VERSION'],
      ['ENV version', 'ENV V=2.21\nRUN yum install -y which-${V}'],
      ['unknown version', 'RUN yum install -y which-${WHICH_VERSION}'],
      ['ENV declared only in an unrelated stage is unknown here', 'FROM fedora:42 AS a\nENV V=2.21\nFROM fedora:42@sha256:' + 'b'.repeat(64) + '\nRUN yum install -y which-${V}'],
      ['unknown package list', 'RUN dnf install -y $PACKAGES'],
      ['command substitution', 'RUN dnf install -y "kernel-devel-$(uname -r)"'],
      ['option values are not packages', 'RUN dnf install -y --enablerepo crb --setopt tsflags=nodocs --releasever 9 -c /etc/dnf.conf tomcat-9.0.1'],
      ['--installroot value', 'RUN dnf --installroot /sysroot install -y bash-5.2.26'],
      ['capability with a version', `RUN dnf install -y 'python3dist(requests) >= 2.31'`],
      ['reinstall keeps the installed version', 'RUN dnf reinstall -y tzdata'],
      ['dnf upgrade is not install', 'RUN dnf upgrade -y'],
      ['dnf remove', 'RUN dnf remove -y curl'],
      ['dnf install without packages', 'RUN dnf install -y'],
      ['R4 zypper =', 'RUN zypper install -y tomcat=9.0.39'],
      ['zypper >=', `RUN zypper in -y 'tomcat>=9.0.39'`],
      ['zypper .rpm', 'RUN zypper in -y /tmp/foo-1.0.rpm'],
      ['zypper pattern type', 'RUN zypper install -y -t pattern devel_basis'],
      ['zypper pattern: prefix', 'RUN zypper install -y pattern:devel_basis'],
      ['zypper removal marker', `RUN zypper in -y '!vim' curl=8.6.0`],
      ['zypper global -D value', 'RUN zypper -D /etc/zypp/repos.d install -y curl=8.6.0'],
      ['data heredoc', 'RUN cat > /x.sh <<EOF\ndnf install -y curl\nEOF'],
      ['comment line in a continuation', 'RUN dnf install -y \\\n    # curl\n    tomcat-9.0.1'],
      ['echoed', 'RUN echo "yum install curl"'],
      ['rpm -i', 'RUN rpm -i /tmp/foo.rpm'],
    ])('%s', (_name, code) => {
      expect(flagged(rule, D + code)).toEqual([]);
    });
  });
});
