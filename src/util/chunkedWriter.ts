/**
 * Collects small strings into chunks of about 64 KiB before writing them: a 200k-file report is a million
 * short lines, and a write per line costs a system call each. When the stream says it is full (`write`
 * returns false, e.g. a slow pipe), waits for `drain`, so that output never piles up in memory.
 */
export interface Writable {
  write(s: string | Uint8Array): unknown;
  once?(event: 'drain', listener: () => void): unknown;
}

const CHUNK = 64 * 1024;

export class ChunkedWriter {
  private parts: string[] = [];
  private size = 0;

  constructor(private readonly out: Writable) {}

  async write(s: string): Promise<void> {
    if (s === '') return;
    this.parts.push(s);
    this.size += s.length;
    if (this.size >= CHUNK) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.parts.length === 0) return;
    const text = this.parts.join('');
    this.parts = [];
    this.size = 0;
    if (this.out.write(text) === false && this.out.once) await new Promise<void>((resolve) => this.out.once!('drain', resolve));
  }
}
