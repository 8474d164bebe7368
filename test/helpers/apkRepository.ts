/**
 * Alpine repositories on 127.0.0.1 in the dl-cdn.alpinelinux.org layout (`/alpine/v3.20/main/x86_64/
 * APKINDEX.tar.gz`), with indexes in the real format: gzip members end to end, first a signature tar member
 * (`.SIGN.RSA.<key>.rsa.pub`, no end-of-archive blocks, as abuild-sign writes it), then the DESCRIPTION +
 * APKINDEX tar. Tar headers by node-tar, gzip by zlib. Every request path is recorded; `override` answers a
 * path with other bytes (corrupt files, errors).
 */
import { gzipSync } from 'node:zlib';
import { Header } from 'tar';
import { serve, type FixtureServer } from './packageServers';

export interface IndexEntry {
  name: string;
  version: string;
  arch?: string;
  origin?: string;
  provides?: string[];
  depends?: string[];
}

function tarEntry(path: string, content: Buffer): Buffer {
  const head = Buffer.alloc(512);
  new Header({ path, type: 'File', mode: 0o644, uid: 0, gid: 0, uname: 'root', gname: 'root', size: content.length, mtime: new Date(1_700_000_000_000) }).encode(head);
  return Buffer.concat([head, content, Buffer.alloc((512 - (content.length % 512)) % 512)]);
}

/** APKINDEX text as `apk index` writes it: one record per package, blank line after each. */
export function apkIndexText(entries: IndexEntry[]): string {
  return entries
    .map((e) => {
      const lines = [
        `C:Q1${Buffer.from(`${e.name}-${e.version}`).toString('base64').slice(0, 26)}=`,
        `P:${e.name}`,
        `V:${e.version}`,
        `A:${e.arch ?? 'x86_64'}`,
        'S:123456',
        'I:456789',
        `T:${e.name} package`,
        'U:https://example.org/',
        'L:MIT',
        `o:${e.origin ?? e.name}`,
        'm:Test <test@example.org>',
        't:1700000000',
        'c:0123456789abcdef0123456789abcdef01234567',
      ];
      if (e.depends?.length) lines.push(`D:${e.depends.join(' ')}`);
      if (e.provides?.length) lines.push(`p:${e.provides.join(' ')}`);
      return `${lines.join('\n')}\n\n`;
    })
    .join('');
}

/** An APKINDEX.tar.gz: the signature member, then the index member. */
export function apkIndexArchive(entries: IndexEntry[], description = 'v3.20.3-0-gtest'): Buffer {
  const signature = gzipSync(tarEntry('.SIGN.RSA.alpine-devel@lists.alpinelinux.org-6165ee59.rsa.pub', Buffer.from('not a real signature, 256 bytes'.padEnd(256, '.'))));
  const index = gzipSync(Buffer.concat([tarEntry('DESCRIPTION', Buffer.from(description)), tarEntry('APKINDEX', Buffer.from(apkIndexText(entries))), Buffer.alloc(1024)]));
  return Buffer.concat([signature, index]);
}

export type ApkServer = FixtureServer;

/** Serves `files` (path → bytes); anything else is a 404. */
export function startApkServer(files: Record<string, Buffer>): Promise<ApkServer> {
  return serve((path) => (files[path]
    ? { status: 200, body: files[path], type: 'application/octet-stream' }
    : { status: 404, body: '404 Not Found\n' }));
}
