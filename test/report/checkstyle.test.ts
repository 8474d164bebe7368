import { formatCheckstyle, xmlAttribute } from '../../src/report/checkstyle';
import { NASTY, TEXT_A, at, file, finding, input, sample } from './fixtures';

const HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n<checkstyle version="4.3">\n';

describe('checkstyle reporter', () => {
  it('no files: an empty checkstyle element', () => {
    expect(formatCheckstyle(input([]))).toBe(`${HEAD}</checkstyle>\n`);
  });

  it('no findings: each checked file still appears', () => {
    expect(formatCheckstyle(input([file('a/Dockerfile', TEXT_A, []), file('b/Dockerfile', TEXT_A, [])]))).toBe(
      `${HEAD}  <file name="a/Dockerfile"/>\n  <file name="b/Dockerfile"/>\n</checkstyle>\n`,
    );
  });

  it('findings with line, column, severity, message and source; unreadable files as errors; notices left out', () => {
    expect(formatCheckstyle(input(sample()))).toBe(
      HEAD +
        [
          '  <file name="Dockerfile">',
          '    <error line="1" column="6" severity="warning" message="image &apos;debian:12&apos; is not pinned to a digest" source="dockrepro.image-digest"/>',
          '    <error line="2" column="24" severity="error" message="apt package &apos;curl&apos; is not pinned: use &apos;curl=&lt;version&gt;&apos;" source="dockrepro.apt-pin"/>',
          '  </file>',
          '  <file name="sub dir/Containerfile">',
          '    <error line="3" column="13" severity="info" message="apk package &apos;🐳pkg&apos; is not pinned" source="dockrepro.apk-pin"/>',
          '    <error line="4" column="5" severity="info" message="apk package &apos;git&apos; is not pinned" source="dockrepro.apk-pin"/>',
          '    <error line="3" column="13" severity="warning" message="spans two lines" source="dockrepro.curl-pipe-shell"/>',
          '  </file>',
          '  <file name="broken/Dockerfile">',
          '    <error severity="error" message="invalid UTF-8 at byte 7 (line 1); save the file as UTF-8" source="dockrepro"/>',
          '  </file>',
          '  <file name="empty.Dockerfile"/>',
          '</checkstyle>',
          '',
        ].join('\n'),
    );
  });

  describe('escaping', () => {
    it.each([
      ['XML specials', `<&"'>`, '&lt;&amp;&quot;&apos;&gt;'],
      ['an existing entity is escaped again', '&amp;', '&amp;amp;'],
      ['tab, CR and LF survive attribute normalisation', 'a\tb\r\nc', 'a&#9;b&#13;&#10;c'],
      ['C0 controls cannot appear in XML 1.0 at all', '\x00\x01\x08\x0b\x0c\x1b\x1f', '\\x00\\x01\\x08\\x0b\\x0c\\x1b\\x1f'],
      ['non-characters U+FFFE and U+FFFF', '\ufffe\uffff', '\\ufffe\\uffff'],
      ['lone surrogates', 'a\ud800b\udc00c', 'a\\ud800b\\udc00c'],
      ['non-ASCII is fine as it is', 'é 🐳 ☕', 'é 🐳 ☕'],
      // Legal XML, but a viewer would show them raw: DEL, a C1 CSI, a bidi override.
      ['DEL, C1 and bidi controls are shown as escapes', '\x7f\x9b\u202e', '\\x7f\\x9b\\u202e'],
    ])('%s', (_name, raw, escaped) => {
      expect(xmlAttribute(raw)).toBe(escaped);
    });

    it('in paths and messages of a report', () => {
      const out = formatCheckstyle(input([file('a&b/<x>"y".Dockerfile', TEXT_A, [finding('apt-pin', 'warning', NASTY, at(TEXT_A, 'curl'))])]));
      expect(out).toContain('<file name="a&amp;b/&lt;x&gt;&quot;y&quot;.Dockerfile">');
      expect(out).toContain(
        'message="a &lt;b&gt; &amp; &quot;c&quot; &apos;d&apos; 50% x,y:z&#13;&#10;next&#9;line \\x1b[2J bell\\x07 é 🐳"',
      );
      // Nothing XML 1.0 forbids is left, and every line is a whole element.
      expect(out).not.toMatch(/[\x00-\x08\x0b\x0c\x0e-\x1f]/);
      expect(out.split('\n').filter(Boolean).every((l) => /^\s*<.*>$/.test(l))).toBe(true);
    });
  });
});
