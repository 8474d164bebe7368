import { osReleaseOf, parseOsRelease } from '../../src/resolve/osRelease';

describe('os-release', () => {
  it("reads Debian 12's file as shipped (quoted and unquoted values)", () => {
    const text = [
      'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"',
      'NAME="Debian GNU/Linux"',
      'VERSION_ID="12"',
      'VERSION="12 (bookworm)"',
      'VERSION_CODENAME=bookworm',
      'ID=debian',
      'HOME_URL="https://www.debian.org/"',
      '',
    ].join('\n');
    const os = parseOsRelease(text, '/etc/os-release');
    expect(os).toMatchObject({ id: 'debian', idLike: [], versionId: '12', codename: 'bookworm', path: '/etc/os-release' });
    expect(os.fields.PRETTY_NAME).toBe('Debian GNU/Linux 12 (bookworm)');
  });

  it("takes Ubuntu's codename and ID_LIKE, and Alpine's file without a codename", () => {
    const ubuntu = parseOsRelease('ID=ubuntu\nID_LIKE=debian\nVERSION_ID="22.04"\nUBUNTU_CODENAME=jammy\n', 'x');
    expect(ubuntu).toMatchObject({ id: 'ubuntu', idLike: ['debian'], versionId: '22.04', codename: 'jammy' });
    const alpine = parseOsRelease('NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.20.3\n', 'x');
    expect(alpine).toMatchObject({ id: 'alpine', versionId: '3.20.3', codename: undefined });
    const rocky = parseOsRelease('ID="rocky"\r\nID_LIKE="rhel centos fedora"\r\nVERSION_ID="9.4"\r\n', 'x');
    expect(rocky).toMatchObject({ id: 'rocky', idLike: ['rhel', 'centos', 'fedora'], versionId: '9.4' });
  });

  it('unquotes as the shell does and skips what is not KEY=value', () => {
    const os = parseOsRelease(['# a comment', 'A="say \\"hi\\" \\$x"', "B='single $x'", 'C=unquoted', 'D=two words', 'E="unterminated', 'lower=x', ''].join('\n'), 'x');
    expect(os.fields).toEqual({ A: 'say "hi" $x', B: 'single $x', C: 'unquoted' });
    expect(os.id).toBe('linux');
  });

  it('answers from /etc/os-release first, then /usr/lib/os-release, else undefined', () => {
    const files = (m: Record<string, string>) => ({ files: new Map(Object.entries(m)), dirs: new Map(), source: 'test' });
    expect(osReleaseOf(files({ '/usr/lib/os-release': 'ID=b\n', '/etc/os-release': 'ID=a\n' }))?.id).toBe('a');
    expect(osReleaseOf(files({ '/usr/lib/os-release': 'ID=b\n' }))).toMatchObject({ id: 'b', path: '/usr/lib/os-release' });
    expect(osReleaseOf(files({}))).toBeUndefined();
  });
});
