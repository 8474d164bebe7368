import { decodeDockerfile } from '../src/util/decode';

describe('decodeDockerfile', () => {
  it('decodes UTF-8 and strips a BOM', () => {
    const r = decodeDockerfile(Buffer.from('\uFEFFFROM alpine\n', 'utf8'));
    expect(r).toEqual({ kind: 'text', text: 'FROM alpine\n', bom: true });
  });

  it('keeps CRLF as it is', () => {
    const r = decodeDockerfile(Buffer.from('FROM alpine\r\nRUN true\r\n'));
    expect(r.kind === 'text' && r.text).toBe('FROM alpine\r\nRUN true\r\n');
  });

  it('reports an empty or blank file as empty', () => {
    expect(decodeDockerfile(Buffer.alloc(0)).kind).toBe('empty');
    expect(decodeDockerfile(Buffer.from(' \n\n')).kind).toBe('empty');
  });

  it('rejects binary files', () => {
    const r = decodeDockerfile(Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x00, 0x01]));
    expect(r).toEqual({ kind: 'invalid', reason: 'binary file (NUL byte at offset 4), not a Dockerfile' });
  });

  it('rejects invalid UTF-8 and says where', () => {
    const r = decodeDockerfile(Buffer.concat([Buffer.from('FROM a\nRUN echo '), Buffer.from([0xe9]), Buffer.from('\n')]));
    expect(r).toEqual({ kind: 'invalid', reason: 'invalid UTF-8 at byte 16 (line 2); save the file as UTF-8' });
  });

  it('names UTF-16 files as UTF-16, with or without a byte-order mark (not "binary")', () => {
    const text = 'FROM alpine\r\nRUN true\r\n';
    const reason = (order: string) => `UTF-16 (${order}) text, not UTF-8: BuildKit reads UTF-8 only; save the file as UTF-8`;
    const le = Buffer.from(text, 'utf16le');
    const be = Buffer.from(le).swap16();
    expect(decodeDockerfile(Buffer.concat([Buffer.from([0xff, 0xfe]), le]))).toEqual({ kind: 'invalid', reason: reason('little-endian') });
    expect(decodeDockerfile(Buffer.concat([Buffer.from([0xfe, 0xff]), be]))).toEqual({ kind: 'invalid', reason: reason('big-endian') });
    expect(decodeDockerfile(le)).toEqual({ kind: 'invalid', reason: reason('little-endian') });
    expect(decodeDockerfile(be)).toEqual({ kind: 'invalid', reason: reason('big-endian') });
    // A binary file with a stray NUL stays binary.
    expect(decodeDockerfile(Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00]))).toEqual({
      kind: 'invalid',
      reason: 'binary file (NUL byte at offset 7), not a Dockerfile',
    });
  });
});
