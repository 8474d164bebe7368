import rule from '../../src/rules/unverified-download';
import { flagged, lint } from '../helpers/lint';

const D = 'FROM debian:12.7@sha256:' + 'a'.repeat(64) + '\n';
const URL = 'https://example.com/tool-1.4.2.tgz';

describe('unverified-download', () => {
  describe('must trigger', () => {
    it.each([
      ['curl -o then tar -x', `RUN curl -fsSLo /tmp/t.tgz ${URL} && tar -xzf /tmp/t.tgz -C /opt`, `curl -fsSLo /tmp/t.tgz ${URL}`],
      ['curl -O then tar', `RUN curl -fsSLO ${URL} && tar xzf tool-1.4.2.tgz`, `curl -fsSLO ${URL}`],
      ['wget without -O then ./x via chmod', `RUN wget -q https://example.com/bin/tool && chmod +x tool && ./tool --version`, 'wget -q https://example.com/bin/tool'],
      ['wget -O then sh', `RUN wget -O /tmp/i.sh https://example.com/i.sh; sh /tmp/i.sh`, 'wget -O /tmp/i.sh https://example.com/i.sh'],
      ['dpkg -i', `RUN curl -Lo /tmp/x.deb https://example.com/x.deb && dpkg -i /tmp/x.deb`, 'curl -Lo /tmp/x.deb https://example.com/x.deb'],
      ['apt-get install ./x.deb', `RUN curl -LO https://example.com/x.deb && apt-get install -y ./x.deb`, 'curl -LO https://example.com/x.deb'],
      ['rpm -ivh', `RUN curl -Lo x.rpm https://example.com/x.rpm && rpm -ivh x.rpm`, 'curl -Lo x.rpm https://example.com/x.rpm'],
      ['unzip', `RUN curl -Lo /tmp/a.zip https://example.com/a.zip && unzip /tmp/a.zip -d /opt`, 'curl -Lo /tmp/a.zip https://example.com/a.zip'],
      ['chmod 755 into PATH', `RUN curl -Lo /usr/local/bin/kubectl https://dl.k8s.io/v1.30.0/bin/linux/amd64/kubectl && chmod 755 /usr/local/bin/kubectl`, 'curl -Lo /usr/local/bin/kubectl https://dl.k8s.io/v1.30.0/bin/linux/amd64/kubectl'],
      ['relative under WORKDIR', `WORKDIR /src\nRUN curl -Lo i.sh https://example.com/i.sh && bash /src/i.sh`, 'curl -Lo i.sh https://example.com/i.sh'],
      ['wget -P dir', `RUN wget -P /tmp https://example.com/i.sh && sh /tmp/i.sh`, 'wget -P /tmp https://example.com/i.sh'],
    ])('%s', (_, run, text) => {
      expect(flagged(rule, D + run)).toEqual([text]);
    });

    it('names the file, the use, and carries the fix request', () => {
      const [f] = lint(rule, D + `RUN curl -fsSLo /tmp/t.tgz ${URL} && tar -xzf /tmp/t.tgz`);
      expect(f.message).toBe(`curl downloads '${URL}' to '/tmp/t.tgz', which is unpacked by tar without a checksum check: verify it first (echo '<sha256>  /tmp/t.tgz' | sha256sum -c -)`);
      expect(f.fix).toEqual({ kind: 'download-checksum', file: '/tmp/t.tgz', url: URL });
    });
  });

  describe('must not trigger', () => {
    it.each([
      ['checked with sha256sum -c', `RUN curl -fsSLo /tmp/t.tgz ${URL} && echo "${'e'.repeat(64)}  /tmp/t.tgz" | sha256sum -c - && tar -xzf /tmp/t.tgz`],
      ['checked with gpg --verify', `RUN curl -fsSLO ${URL} && curl -fsSLO ${URL}.asc && gpg --verify tool-1.4.2.tgz.asc && tar xzf tool-1.4.2.tgz`],
      ['checked with sha256sum | grep', `RUN curl -Lo t.tgz ${URL} && sha256sum t.tgz | grep -q ${'e'.repeat(64)} && tar xzf t.tgz`],
      ['only saved', `RUN curl -fsSLo /tmp/t.tgz ${URL}`],
      ['moved, not run', `RUN curl -fsSLo /tmp/t.tgz ${URL} && mv /tmp/t.tgz /opt/`],
      ['another file is unpacked', `RUN curl -fsSLo /tmp/t.tgz ${URL} && tar -xzf /tmp/other.tgz`],
      ['tar creates, not extracts', `RUN curl -fsSLo /tmp/t.tgz ${URL} && tar -czf /tmp/t.tgz /etc`],
      ['to stdout (curl-pipe-shell)', `RUN curl -fsSL ${URL} | tar -xz`],
      ['used before the download', `RUN sh /tmp/i.sh && curl -o /tmp/i.sh https://example.com/i.sh`],
      ['file name from the server', `RUN curl -fsSLOJ ${URL} && tar xzf tool-1.4.2.tgz`],
      ['chmod without x', `RUN curl -Lo /tmp/f https://example.com/f && chmod 644 /tmp/f`],
    ])('%s', (_, run) => {
      expect(flagged(rule, D + run)).toEqual([]);
    });
  });
});
