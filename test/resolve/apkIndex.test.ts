/**
 * The APKINDEX.tar.gz reader on archives in the real format (test/helpers/apkRepository.ts: node-tar headers,
 * zlib gzip members, the signature member first) and on broken ones; the repositories file parser.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { parseApkIndexText, tarFiles, unpackApkIndex } from '../../src/resolve/apkIndex';
import { apkArchOf, parseApkRepositories } from '../../src/resolve/alpineSetup';
import { apkIndexArchive, apkIndexText } from '../helpers/apkRepository';

const URL = 'https://dl-cdn.alpinelinux.org/alpine/v3.20/main/x86_64/APKINDEX.tar.gz';

describe('APKINDEX.tar.gz', () => {
  it('reads every gzip member: the signature, then DESCRIPTION and APKINDEX', () => {
    const gz = apkIndexArchive([{ name: 'curl', version: '8.11.1-r0', provides: ['cmd:curl=8.11.1-r0'] }, { name: 'libssl3', version: '3.3.2-r1', origin: 'openssl', provides: ['so:libssl.so.3=3'] }], 'v3.20.3-91-gdeadbeef');
    // Two members, as abuild-sign makes them.
    expect(gz.indexOf(Buffer.from([0x1f, 0x8b, 0x08]), 10)).toBeGreaterThan(0);
    const { apkindex, description } = unpackApkIndex(gz, URL);
    expect(description).toBe('v3.20.3-91-gdeadbeef');
    expect(parseApkIndexText(apkindex)).toEqual([
      { name: 'curl', version: '8.11.1-r0', arch: 'x86_64', origin: 'curl', provides: [{ name: 'cmd:curl', version: '8.11.1-r0' }], providerPriority: undefined },
      { name: 'libssl3', version: '3.3.2-r1', arch: 'x86_64', origin: 'openssl', provides: [{ name: 'so:libssl.so.3', version: '3' }], providerPriority: undefined },
    ]);
  });

  it('refuses what is not an index, saying why', () => {
    expect(() => unpackApkIndex(Buffer.from('<html>not found</html>'), URL)).toThrow(`${URL}: not a gzip file`);
    const good = apkIndexArchive([{ name: 'a', version: '1' }]);
    expect(() => unpackApkIndex(good.subarray(0, good.length - 20), URL)).toThrow(/not a gzip file/);
    expect(() => unpackApkIndex(gzipSync(Buffer.alloc(1024)), URL)).toThrow(`${URL}: not a valid index archive (TAR_BAD_ARCHIVE: Unrecognized archive format)`);
    const unpacked = gunzipSync(good);
    const corrupt = Buffer.from(unpacked);
    corrupt[unpacked.indexOf('APKINDEX') + 150] ^= 1; // a byte of the APKINDEX header's checksum field
    expect(() => unpackApkIndex(gzipSync(corrupt), URL)).toThrow(/not a valid index archive \(TAR_ENTRY_INVALID: checksum failure\)/);
    // A valid tar without the APKINDEX entry (only what precedes it).
    const withoutIndex = Buffer.concat([unpacked.subarray(0, unpacked.indexOf('APKINDEX') - (unpacked.indexOf('APKINDEX') % 512)), Buffer.alloc(1024)]);
    expect(() => unpackApkIndex(gzipSync(withoutIndex), URL)).toThrow(`${URL}: the archive has no APKINDEX entry`);
    expect(() => unpackApkIndex(good, URL, 1024)).toThrow(`${URL}: the index unpacks to more than 1024 bytes`);
  });

  it('tarFiles keeps only the entries asked for', () => {
    const { apkindex } = unpackApkIndex(apkIndexArchive([{ name: 'a', version: '1' }]), URL);
    expect(apkindex).toBe(apkIndexText([{ name: 'a', version: '1' }]));
    const tar = gunzipSync(apkIndexArchive([{ name: 'a', version: '1' }]));
    expect([...tarFiles(tar, new Set(['DESCRIPTION'])).keys()]).toEqual(['DESCRIPTION']);
  });

  it('the installed database has the same records; repeated file fields do not confuse it', () => {
    const db = 'C:Q1x=\nP:musl\nV:1.2.5-r0\nF:lib\nR:ld-musl-x86_64.so.1\nR:libc.musl-x86_64.so.1\n\nP:busybox\nV:1.36.1-r29\nk:100\n\n';
    expect(parseApkIndexText(db).map((p) => [p.name, p.version, p.providerPriority])).toEqual([['musl', '1.2.5-r0', undefined], ['busybox', '1.36.1-r29', 100]]);
  });
});

describe('/etc/apk/repositories', () => {
  it('reads URLs, @tag lines and comments in order', () => {
    const text = '#/media/cdrom/apks\nhttps://dl-cdn.alpinelinux.org/alpine/v3.20/main\n\n  http://mirror.example/alpine/v3.20/community  \n@edge https://dl-cdn.alpinelinux.org/alpine/edge/testing\n';
    expect(parseApkRepositories(text, '/etc/apk/repositories')).toEqual([
      { url: 'https://dl-cdn.alpinelinux.org/alpine/v3.20/main' },
      { url: 'http://mirror.example/alpine/v3.20/community' },
      { url: 'https://dl-cdn.alpinelinux.org/alpine/edge/testing', tag: 'edge' },
    ]);
  });

  it.each([
    ['/media/cdrom/apks\n', /a folder inside the image/],
    ['file:///repo\n', /a folder inside the image/],
    ['v3 https://x/alpine/v3.23 main community\n', /apk v3 repository syntax/],
    ['set mirror=https://x\n', /apk v3 repository syntax/],
    ['ftp://x/alpine\n', /not an http\(s\) repository URL/],
    ['https://x/${arch}\n', /not an http\(s\) repository URL/],
    ['@ed$ge https://x/alpine\n', /a tag apk would not accept/],
  ])('leaves %j', (text, why) => {
    expect(parseApkRepositories(text, '/etc/apk/repositories')).toMatch(why);
  });

  it('maps platforms to apk architectures', () => {
    expect(['linux/amd64', 'linux/arm64', 'linux/arm/v7', 'linux/arm/v6', 'linux/386', 'linux/ppc64le', 'linux/s390x', 'linux/riscv64', 'linux/mips'].map(apkArchOf)).toEqual([
      'x86_64', 'aarch64', 'armv7', 'armhf', 'x86', 'ppc64le', 's390x', 'riscv64', undefined,
    ]);
  });
});
