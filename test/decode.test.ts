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
});
