/**
 * apt-version pieces that the end-to-end test (test/fix/apt-version.test.ts, real archive and real apt-get)
 * cannot reach on this machine's apt 2.6: the apt.conf.d snapshot for releases whose apt applies
 * `APT::Snapshot` itself, the snapshot id, and the `apt:` config key.
 */
import { parseConfig, ConfigError } from '../../src/config';
import { snapshotCommand, snapshotIdFor, snapshotRootOf } from '../../src/fixers/apt-version';
import { parseDeb822Sources, parseOneLineSources, type AptSetup } from '../../src/resolve/aptSources';
import { parseOsRelease } from '../../src/resolve/osRelease';
import { asData } from '../helpers/fixerTable';

const TRIXIE_SOURCES = 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: trixie trixie-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\nTypes: deb\nURIs: http://deb.debian.org/debian-security\nSuites: trixie-security\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n';

function setup(os: string, file: string, text: string, caCertificates = false): AptSetup {
  const sources = file.endsWith('.sources') ? parseDeb822Sources(text, file) : parseOneLineSources(text, file);
  return { os: parseOsRelease(os, '/etc/os-release'), arch: 'amd64', sources, preferences: [], files: new Map([[file, text]]), caCertificates };
}

describe('apt-version snapshot command', () => {
  it('Debian 13: apt.conf.d with APT::Snapshot and each source host sent to snapshot.debian.org over http', () => {
    const s = setup('ID=debian\nVERSION_ID="13"\nVERSION_CODENAME=trixie\n', '/etc/apt/sources.list.d/debian.sources', TRIXIE_SOURCES);
    expect(s.sources.map((x) => `${x.uri} ${x.suite}`)).toEqual(['http://deb.debian.org/debian trixie', 'http://deb.debian.org/debian trixie-updates', 'http://deb.debian.org/debian-security trixie-security']);
    expect(snapshotCommand(s, '20250601T000000Z')).toBe(
      `printf '%s\\n' 'APT::Snapshot "20250601T000000Z";' 'Acquire::Check-Valid-Until "false";' 'Acquire::Snapshots::URI::Host::deb.debian.org "http://snapshot.debian.org/archive/@PATH@/@SNAPSHOTID@/";' > /etc/apt/apt.conf.d/50snapshot`,
    );
  });

  it('Ubuntu 24.04 needs a CA bundle for snapshot.ubuntu.com', () => {
    const text = 'Types: deb\nURIs: http://archive.ubuntu.com/ubuntu/\nSuites: noble noble-updates\nComponents: main universe\n';
    const os = 'ID=ubuntu\nID_LIKE=debian\nVERSION_ID="24.04"\nVERSION_CODENAME=noble\n';
    expect(asData(snapshotCommand(setup(os, '/etc/apt/sources.list.d/ubuntu.sources', text), '20250601T000000Z'))).toEqual({ left: 'no-fixer', reason: expect.stringContaining('no CA certificates') });
    expect(snapshotCommand(setup(os, '/etc/apt/sources.list.d/ubuntu.sources', text, true), '20250601T000000Z')).toBe(
      `printf '%s\\n' 'APT::Snapshot "20250601T000000Z";' 'Acquire::Check-Valid-Until "false";' 'Acquire::Snapshots::URI::Host::archive.ubuntu.com "https://snapshot.ubuntu.com/@PATH@/@SNAPSHOTID@/";' > /etc/apt/apt.conf.d/50snapshot`,
    );
    expect(asData(snapshotCommand(setup(os, '/etc/apt/sources.list.d/ubuntu.sources', text, true), '20230101T000000Z'))).toEqual({ left: 'no-fixer', reason: expect.stringContaining('no snapshot before 20230301T000000Z') });
  });

  it('snapshot roots only for hosts with a known snapshot service', () => {
    expect(snapshotRootOf('http://security.debian.org/debian-security')?.url).toBe('http://snapshot.debian.org/archive/debian-security/@TS@');
    expect(snapshotRootOf('http://de.archive.ubuntu.com/ubuntu/')?.url).toBe('https://snapshot.ubuntu.com/ubuntu/@TS@');
    expect(snapshotRootOf('http://ports.ubuntu.com/ubuntu-ports')).toBeUndefined();
    expect(snapshotRootOf('http://archive.debian.org/debian')).toBeUndefined();
  });

  it('the snapshot id is the start of the previous UTC day', () => {
    expect(snapshotIdFor(new Date('2026-03-01T00:30:00Z'))).toBe('20260228T000000Z');
    expect(snapshotIdFor(new Date('2026-12-03T23:59:59Z'))).toBe('20261202T000000Z');
  });
});

describe('apt: in .dockrepro.yaml', () => {
  it('names the strategy (and so makes it the user\'s choice); anything else is refused', () => {
    expect(parseConfig('apt: { strategy: versions }\n', 'x.yaml').apt).toEqual({ strategy: 'versions', configured: true });
    expect(parseConfig('', 'x.yaml').apt).toBeUndefined();
    expect(() => parseConfig('apt: { strategy: latest }\n', 'x.yaml')).toThrow(ConfigError);
    expect(() => parseConfig('apt: { pin: yes }\n', 'x.yaml')).toThrow(/apt: expected \{ strategy: snapshot \| versions \}/);
  });
});
