/**
 * What an image has installed, read from its rpm database: rpm >= 4.16 (EL 9, Fedora >= 33, Amazon Linux
 * 2023) keeps it in SQLite (`rpmdb.sqlite`), whose `Packages` table holds one rpm header per installed
 * package. The database is opened with sql.js (SQLite compiled to wasm, loaded only on this path) and each
 * header is parsed here for its name, epoch, version, release and architecture.
 *
 * A header as rpm stores it in the database has no magic: a big-endian index count and data size, that many
 * 16-byte index entries (tag, type, offset, count), then the data. Everything in it is bounded and checked
 * before it is read (the image is untrusted input); a header that does not parse is an error, since a
 * package silently missing from the answer would make "not installed" a wrong answer.
 *
 * Older databases (BerkeleyDB `Packages` of EL 8 and older, the ndb `Packages.db` of SUSE) are recognised by
 * their file names but not read.
 */

export interface InstalledRpm {
  /** 0 when the package has none (rpm compares a missing epoch as 0). */
  epoch: number;
  version: string;
  release: string;
  /** Empty for the gpg-pubkey pseudo-packages, which have none. */
  arch: string;
}

/** Where rpm keeps its database: EL 9 and Amazon Linux 2023 in /var/lib/rpm; Fedora >= 36 in /usr/lib/sysimage/rpm (/var/lib/rpm a link to it). */
export const RPM_DB_DIRS: readonly string[] = ['/var/lib/rpm', '/usr/lib/sysimage/rpm'];

/** What the listings of RPM_DB_DIRS say about the database. */
export type RpmDbLocation =
  /** `wal`: the write-ahead log next to it, when the listing has one (its content belongs to the database). */
  | { kind: 'sqlite'; path: string; wal?: string }
  | { kind: 'none' }
  | { kind: 'unread'; reason: string };

/** The database an image has, from the names in RPM_DB_DIRS (`dirs` as ImageFiles answers them). */
export function rpmDbOf(dirs: ReadonlyMap<string, readonly string[]>): RpmDbLocation {
  const sqlite = RPM_DB_DIRS.filter((d) => dirs.get(d)?.includes('rpmdb.sqlite'));
  // Fedora's /var/lib/rpm is a link to /usr/lib/sysimage/rpm: both list the same file. Two different
  // listings holding a database each would leave which one rpm reads to its %_dbpath.
  if (sqlite.length === 2 && JSON.stringify(dirs.get(RPM_DB_DIRS[0])) !== JSON.stringify(dirs.get(RPM_DB_DIRS[1]))) {
    return { kind: 'unread', reason: `the image has an rpm database in both ${RPM_DB_DIRS.join(' and ')}, and which one rpm reads depends on its %_dbpath` };
  }
  if (sqlite.length) {
    const wal = dirs.get(sqlite[0])?.includes('rpmdb.sqlite-wal') ? `${sqlite[0]}/rpmdb.sqlite-wal` : undefined;
    return { kind: 'sqlite', path: `${sqlite[0]}/rpmdb.sqlite`, ...(wal ? { wal } : {}) };
  }
  for (const d of RPM_DB_DIRS) {
    const names = dirs.get(d) ?? [];
    if (names.includes('Packages')) return { kind: 'unread', reason: `the image's rpm database (${d}/Packages) is BerkeleyDB (EL 8 and older), which dockrepro does not read` };
    if (names.includes('Packages.db')) return { kind: 'unread', reason: `the image's rpm database (${d}/Packages.db) is rpm's ndb format, which dockrepro does not read` };
  }
  return { kind: 'none' };
}

const TAG = { name: 1000, version: 1001, release: 1002, epoch: 1003, arch: 1022 } as const;
const TYPE_INT32 = 4;
const TYPE_STRING = 6;
const TYPE_I18NSTRING = 9;
/** rpm's own bounds on a header (hdrblobVerifyInfo): 64 Ki entries, 256 MiB of data. */
const MAX_ENTRIES = 0x10000;
const MAX_DATA = 256 * 1024 * 1024;
const MAX_STRING = 4096;

export class RpmDbError extends Error {}

/** Name, epoch, version, release and arch of one header blob as the database stores it. */
export function parseRpmHeader(blob: Uint8Array): { name: string } & InstalledRpm {
  const b = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  if (b.length < 8) throw new RpmDbError('an rpm header shorter than its 8-byte preamble');
  const il = b.readUInt32BE(0);
  const dl = b.readUInt32BE(4);
  if (il < 1 || il > MAX_ENTRIES || dl > MAX_DATA || 8 + il * 16 + dl > b.length) throw new RpmDbError(`an rpm header with ${il} entries and ${dl} data bytes does not fit its ${b.length} bytes`);
  const data = 8 + il * 16;
  const found = new Map<number, { type: number; offset: number; count: number }>();
  for (let i = 0; i < il; i++) {
    const at = 8 + i * 16;
    const tag = b.readUInt32BE(at);
    if (!found.has(tag)) found.set(tag, { type: b.readUInt32BE(at + 4), offset: b.readUInt32BE(at + 8), count: b.readUInt32BE(at + 12) });
  }
  const str = (tag: number): string | undefined => {
    const e = found.get(tag);
    if (!e) return undefined;
    if ((e.type !== TYPE_STRING && e.type !== TYPE_I18NSTRING) || e.offset >= dl) throw new RpmDbError(`rpm header tag ${tag} is not a string inside the header`);
    const start = data + e.offset;
    const end = b.indexOf(0, start);
    if (end < 0 || end > data + dl || end - start > MAX_STRING) throw new RpmDbError(`rpm header tag ${tag} is not a terminated string inside the header`);
    return b.toString('utf8', start, end);
  };
  const int = (tag: number): number | undefined => {
    const e = found.get(tag);
    if (!e) return undefined;
    if (e.type !== TYPE_INT32 || e.count < 1 || e.offset + 4 > dl) throw new RpmDbError(`rpm header tag ${tag} is not a number inside the header`);
    return b.readUInt32BE(data + e.offset);
  };
  const name = str(TAG.name);
  const version = str(TAG.version);
  const release = str(TAG.release);
  if (!name || version === undefined || release === undefined) throw new RpmDbError('an rpm header without a name, version or release');
  return { name, epoch: int(TAG.epoch) ?? 0, version, release, arch: str(TAG.arch) ?? '' };
}

/** The part of sql.js used here (it ships no types). */
interface SqlJs {
  Database: new (bytes: Uint8Array) => {
    prepare(sql: string): { step(): boolean; get(): unknown[]; free(): void };
    close(): void;
  };
}

let sqlJs: Promise<SqlJs> | undefined;

/** Every installed package by name (a name may be installed more than once: kernels, other architectures). */
export async function installedPackages(bytes: Uint8Array): Promise<Map<string, InstalledRpm[]>> {
  sqlJs ??= (require('sql.js') as () => Promise<SqlJs>)();
  const SQL = await sqlJs;
  const rows: Uint8Array[] = [];
  let db: InstanceType<SqlJs['Database']> | undefined;
  try {
    db = new SQL.Database(bytes);
    const stmt = db.prepare('SELECT blob FROM Packages');
    while (stmt.step()) {
      const blob = stmt.get()[0];
      if (!(blob instanceof Uint8Array)) throw new RpmDbError('a row of the Packages table holds no header blob');
      rows.push(blob);
    }
    stmt.free();
  } catch (e) {
    if (e instanceof RpmDbError) throw e;
    throw new RpmDbError(`not an rpm database sql.js can read: ${(e as Error).message}`);
  } finally {
    db?.close();
  }
  const out = new Map<string, InstalledRpm[]>();
  for (const blob of rows) {
    const { name, ...rest } = parseRpmHeader(blob);
    const list = out.get(name);
    if (list) list.push(rest);
    else out.set(name, [rest]);
  }
  return out;
}
