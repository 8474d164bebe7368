import { parseDpkgStatus } from '../../src/resolve/dpkgInstalled';

describe('dpkg status', () => {
  it('keeps installed packages by name and architecture; half-installed and removed ones are not installed', () => {
    const text = [
      'Package: curl\nStatus: install ok installed\nPriority: optional\nArchitecture: amd64\nVersion: 7.88.1-10+deb12u8\nDescription: x\n more text\n',
      'Package: tzdata\nStatus: install ok installed\nArchitecture: all\nVersion: 2024a-0+deb12u1\n',
      'Package: broken\nStatus: install reinstreq half-installed\nArchitecture: amd64\nVersion: 1-1\n',
      'Package: old\nStatus: deinstall ok config-files\nArchitecture: amd64\nVersion: 2-1\n',
    ].join('\n');
    expect([...parseDpkgStatus(text)]).toEqual([['curl:amd64', '7.88.1-10+deb12u8'], ['tzdata:all', '2024a-0+deb12u1']]);
  });
});
