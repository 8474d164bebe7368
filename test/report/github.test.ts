import { escapeData, escapeProperty, formatGithub } from '../../src/report/github';
import { NASTY, TEXT_A, at, file, finding, input, sample } from './fixtures';

describe('github reporter', () => {
  it('one workflow command per finding, error and notice, then the summary', () => {
    expect(formatGithub(input(sample()))).toBe(
      [
        "::warning file=Dockerfile,line=1,col=6,endLine=1,endColumn=15,title=image-digest::image 'debian:12' is not pinned to a digest",
        // A colon in the message is not escaped: only properties end at `::`.
        "::error file=Dockerfile,line=2,col=24,endLine=2,endColumn=28,title=apt-pin::apt package 'curl' is not pinned: use 'curl=<version>'",
        "::notice file=sub dir/Containerfile,line=3,col=13,endLine=3,endColumn=20,title=apk-pin::apk package '🐳pkg' is not pinned",
        "::notice file=sub dir/Containerfile,line=4,col=5,endLine=4,endColumn=8,title=apk-pin::apk package 'git' is not pinned",
        '::warning file=sub dir/Containerfile,line=3,col=13,endLine=4,endColumn=8,title=curl-pipe-shell::spans two lines',
        '::error file=broken/Dockerfile,title=dockrepro::invalid UTF-8 at byte 7 (line 1); save the file as UTF-8',
        '::notice file=empty.Dockerfile,title=dockrepro::empty file, nothing to lint',
        '5 findings (1 error, 2 warnings, 1 info, 1 style) in 3 files, 1 file could not be read',
        '',
      ].join('\n'),
    );
  });

  it('no files and no findings: just the summary for the log', () => {
    expect(formatGithub(input([]))).toBe('No Dockerfiles found\n');
    expect(formatGithub(input([file('Dockerfile', TEXT_A, [])]))).toBe('No findings in 1 file\n');
  });

  it.each([
    ['error', '::error '],
    ['warning', '::warning '],
    ['info', '::notice '],
    ['style', '::notice '],
  ] as const)('severity %s → %s', (severity, command) => {
    const out = formatGithub(input([file('D', TEXT_A, [finding('apt-pin', severity, 'm', at(TEXT_A, 'curl'))])]));
    expect(out.startsWith(command)).toBe(true);
  });

  describe('escaping', () => {
    it('message: %, CR and LF encoded; , and : left', () => {
      expect(escapeData('100% a,b:c\r\nd')).toBe('100%25 a,b:c%0D%0Ad');
    });

    it('other controls (ESC, C1 CSI, bell) and bidi overrides are shown as escapes, in messages and properties', () => {
      expect(escapeData('\x1b[31mred\x9b2J\x07\u202e')).toBe('\\x1b[31mred\\x9b2J\\x07\\u202e');
      expect(escapeProperty('a\x1b[2J')).toBe('a\\x1b[2J');
    });

    it('properties: also , and :', () => {
      expect(escapeProperty('C:\\a,b%\n')).toBe('C%3A\\a%2Cb%25%0A');
    });

    it('% is escaped first, so an existing %0A stays literal', () => {
      expect(escapeData('%0A')).toBe('%250A');
    });

    it('in a report, a message or path cannot start another command', () => {
      const out = formatGithub(
        input([file('a,b:c/dïr/D%.file', TEXT_A, [finding('apt-pin', 'warning', `${NASTY}\n::error::injected`, at(TEXT_A, 'curl'))])]),
      );
      const [line, summary, end] = out.split('\n');
      expect(line).toBe(
        "::warning file=a%2Cb%3Ac/dïr/D%25.file,line=2,col=24,endLine=2,endColumn=28,title=apt-pin::" +
          `a <b> & "c" 'd' 50%25 x,y:z%0D%0Anext\tline \\x1b[2J bell\\x07 é 🐳%0A::error::injected`,
      );
      expect(summary).toBe('1 finding (1 warning) in 1 file');
      expect(end).toBe('');
    });

    it('Windows separators become forward slashes', () => {
      expect(formatGithub(input([{ path: 'app\\Dockerfile', findings: [], error: 'e' }]))).toContain('file=app/Dockerfile,');
    });
  });
});
