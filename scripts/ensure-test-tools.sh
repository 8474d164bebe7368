#!/usr/bin/env bash
# Installs the tools the registry tests run against (Debian's docker-registry, htpasswd, openssl for the token server's certificate, zstd for zstd layers in image fixtures) when they are
# missing. Without root it only warns: the registry tests then skip loudly (and fail under CI=true).
set -u

missing=()
command -v docker-registry >/dev/null 2>&1 || missing+=(docker-registry)
command -v htpasswd >/dev/null 2>&1 || missing+=(apache2-utils)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
# The account tools the useradd-uid simulation is compared with (test/accounts): shadow's useradd/groupadd,
# Debian's perl adduser, unshare for a private mount namespace.
command -v useradd >/dev/null 2>&1 || PATH="$PATH:/usr/sbin" command -v useradd >/dev/null 2>&1 || missing+=(passwd)
[ -f /usr/sbin/adduser ] || missing+=(adduser)
command -v unshare >/dev/null 2>&1 || missing+=(util-linux)
# The apt tests build a real archive (test/helpers/debArchive.ts): apt-ftparchive writes its Packages and Release files.
command -v apt-ftparchive >/dev/null 2>&1 || missing+=(apt-utils)
command -v gpg >/dev/null 2>&1 || missing+=(gpg)
# Debian's busybox is built without adduser/addgroup, so test/helpers/busybox.ts builds a static one from
# source (bzip2 to unpack it, make and gcc, and libc6-dev for the static libc that gcc only recommends).
command -v bzip2 >/dev/null 2>&1 || missing+=(bzip2)
command -v make >/dev/null 2>&1 || missing+=(make)
command -v gcc >/dev/null 2>&1 || missing+=(gcc)
dpkg -s libc6-dev >/dev/null 2>&1 || missing+=(libc6-dev)
# Layer tarballs of the test images are compressed with zstd too (test/helpers/imageFixtures.ts).
command -v zstd >/dev/null 2>&1 || missing+=(zstd)
# The pre-commit hooks are run by the real pre-commit (test/package, `npm run test:package`); its files
# pattern is checked with Python's re (test/precommitHooks.test.ts).
command -v pre-commit >/dev/null 2>&1 || missing+=(pre-commit)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
# The rpm family (test/resolve/rpmVersion, test/fixers/rpm-version): rpm's own version order and rpmbuild for
# tiny packages, createrepo_c for real rpm-md repositories, and dnf to compare the fixer's choice with.
command -v rpmbuild >/dev/null 2>&1 || missing+=(rpm)
command -v createrepo_c >/dev/null 2>&1 || missing+=(createrepo-c)
command -v dnf >/dev/null 2>&1 || missing+=(dnf)
# dockrepro verify builds for real (test/verify): buildah, and Debian's static busybox as the tiny base image's
# only program (a dynamically linked one would need a libc in the image).
command -v buildah >/dev/null 2>&1 || missing+=(buildah)
dpkg -s busybox-static >/dev/null 2>&1 || missing+=(busybox-static)
# verify --vary (test/verify/vary.test.ts): libfaketime moves the clock, disorderfs (FUSE) shuffles directory
# order, tzdata gives the time zones.
[ -n "$(ls /usr/lib/*/faketime/libfaketime.so.1 /usr/lib/faketime/libfaketime.so.1 2>/dev/null)" ] || missing+=(faketime)
command -v disorderfs >/dev/null 2>&1 || missing+=(disorderfs)
[ -f /usr/share/zoneinfo/Etc/GMT-14 ] || missing+=(tzdata)
# The package servers of the gem, go and cargo fixer tests are made by the real tools: ruby's gem builds the gems
# and their index (test/helpers/gemServer.ts); go writes the module proxy from module zips made by zip
# (test/helpers/goProxy.ts).
command -v gem >/dev/null 2>&1 || missing+=(ruby)
command -v go >/dev/null 2>&1 || missing+=(golang-go)
command -v zip >/dev/null 2>&1 || missing+=(zip)
# The cargo tests need cargo 1.68 or newer (sparse registries; test/helpers/cargoIndex.ts): Debian 12's cargo
# (0.66, Rust 1.65) is older, so it is not installed from here; the machine's rustup cargo is used, and the
# tests skip loudly (fail under CI=true) without one.
if ! PATH="$PATH:$HOME/.cargo/bin" cargo --version 2>/dev/null | grep -Eq '^cargo 1\.([6][89]|[7-9][0-9]|[1-9][0-9]{2,})\.'; then
  echo "ensure-test-tools: cargo 1.68 or newer not found (Debian 12's is older): the cargo-version tests will be SKIPPED (and fail in CI)" >&2
fi
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "${EUID:-$(id -u)}" != "0" ]; then
  echo "************************************************************************" >&2
  echo "* ensure-test-tools: missing ${missing[*]} and not root; cannot install." >&2
  echo "* Registry tests will be SKIPPED (and fail under CI=true)." >&2
  echo "* Install with: sudo apt-get install -y --no-install-recommends docker-registry apache2-utils openssl passwd adduser util-linux zstd bzip2 make gcc libc6-dev pre-commit python3 rpm createrepo-c dnf apt-utils gpg buildah busybox-static faketime disorderfs tzdata ruby golang-go zip" >&2
  echo "************************************************************************" >&2
  exit 0
fi

install() { DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends docker-registry apache2-utils openssl passwd adduser util-linux zstd bzip2 make gcc libc6-dev pre-commit python3 rpm createrepo-c dnf apt-utils gpg buildah busybox-static faketime disorderfs tzdata ruby golang-go zip; }
# Running as root: say what is about to change on this machine before changing it.
echo "ensure-test-tools: running as root, so installing the missing test tools system-wide with apt-get: ${missing[*]}" >&2
echo "ensure-test-tools: (to avoid this, install them yourself or run the tests as another user; they then skip loudly)" >&2
if ! install; then
  apt-get update && install || { echo "ensure-test-tools: installation FAILED; registry tests will skip" >&2; exit 0; }
fi
