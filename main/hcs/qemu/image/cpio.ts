/**
 * A writer for the "newc" cpio format, the only one the Linux initramfs unpacker reads
 * (Documentation/driver-api/early-userspace/buffer-format.rst). Written here so building an image
 * needs no cpio program; it also lets the image hold /dev/console without root.
 */

const MAGIC = '070701';
const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;
const TRAILER = 'TRAILER!!!';

interface Entry {
  name: string;
  mode: number;
  data: Uint8Array;
  nlink: number;
  rdevMajor: number;
  rdevMinor: number;
}

/**
 * Collects entries in order and serialises them. Parent directories are added automatically
 * before their children: the kernel's unpacker does not create missing parents. All entries are
 * owned by root with mtime 0, so the same inputs give the same bytes.
 */
export class CpioWriter {
  private readonly entries: Entry[] = [];
  private readonly names = new Set<string>();

  /** Adds a directory (idempotent). */
  dir(name: string, mode = 0o755): this {
    const n = normalise(name);
    if (n === '.' || this.names.has(n)) return this;
    this.parents(n);
    this.push({
      name: n,
      mode: S_IFDIR | mode,
      data: new Uint8Array(0),
      nlink: 2,
      rdevMajor: 0,
      rdevMinor: 0,
    });
    return this;
  }

  file(name: string, data: Uint8Array | string, mode = 0o644): this {
    const n = this.fresh(name);
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    this.push({ name: n, mode: S_IFREG | mode, data: bytes, nlink: 1, rdevMajor: 0, rdevMinor: 0 });
    return this;
  }

  symlink(name: string, target: string): this {
    const n = this.fresh(name);
    this.push({
      name: n,
      mode: S_IFLNK | 0o777,
      data: Buffer.from(target, 'utf8'),
      nlink: 1,
      rdevMajor: 0,
      rdevMinor: 0,
    });
    return this;
  }

  charDevice(name: string, major: number, minor: number, mode = 0o600): this {
    const n = this.fresh(name);
    this.push({
      name: n,
      mode: S_IFCHR | mode,
      data: new Uint8Array(0),
      nlink: 1,
      rdevMajor: major,
      rdevMinor: minor,
    });
    return this;
  }

  has(name: string): boolean {
    return this.names.has(normalise(name));
  }

  /** The archive, ending with the TRAILER!!! record. */
  toBuffer(): Buffer {
    const parts: Buffer[] = [];
    let ino = 1;
    for (const e of this.entries) parts.push(record(e, ino++));
    parts.push(
      record(
        { name: TRAILER, mode: 0, data: new Uint8Array(0), nlink: 1, rdevMajor: 0, rdevMinor: 0 },
        0,
      ),
    );
    return Buffer.concat(parts);
  }

  private fresh(name: string): string {
    const n = normalise(name);
    if (this.names.has(n)) throw new Error(`cpio: duplicate entry ${n}`);
    this.parents(n);
    return n;
  }

  private parents(n: string): void {
    const slash = n.lastIndexOf('/');
    if (slash > 0) this.dir(n.slice(0, slash));
  }

  private push(entry: Entry): void {
    this.names.add(entry.name);
    this.entries.push(entry);
  }
}

/** Archive names are relative ("bin/busybox"); leading slashes and "./" are dropped. */
function normalise(name: string): string {
  const n = name.replace(/^\/+/, '').replace(/^\.\//, '').replace(/\/+$/, '');
  if (n === '') return '.';
  if (n.split('/').some((part) => part === '..' || part === ''))
    throw new Error(`cpio: bad entry name ${name}`);
  return n;
}

function hex8(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}

function pad4(length: number): number {
  return (4 - (length % 4)) % 4;
}

/** Header (110 bytes) + name + NUL, padded to 4; then the data, padded to 4. */
function record(e: Entry, ino: number): Buffer {
  const name = Buffer.from(`${e.name}\0`, 'utf8');
  const header =
    MAGIC +
    hex8(ino) +
    hex8(e.mode) +
    hex8(0) + // uid
    hex8(0) + // gid
    hex8(e.nlink) +
    hex8(0) + // mtime
    hex8(e.data.length) +
    hex8(0) + // devmajor
    hex8(0) + // devminor
    hex8(e.rdevMajor) +
    hex8(e.rdevMinor) +
    hex8(name.length) +
    hex8(0); // check (unused by newc)
  return Buffer.concat([
    Buffer.from(header, 'latin1'),
    name,
    Buffer.alloc(pad4(header.length + name.length)),
    e.data,
    Buffer.alloc(pad4(e.data.length)),
  ]);
}

export interface CpioEntry {
  name: string;
  mode: number;
  size: number;
  rdevMajor: number;
  rdevMinor: number;
  data: Buffer;
}

/** Reads a newc archive back (tests, and checking a built image). */
export function readCpio(buf: Buffer): CpioEntry[] {
  const out: CpioEntry[] = [];
  let off = 0;
  for (;;) {
    if (buf.toString('latin1', off, off + 6) !== MAGIC)
      throw new Error(`cpio: bad magic at ${off}`);
    const field = (i: number): number =>
      Number.parseInt(buf.toString('latin1', off + 6 + i * 8, off + 14 + i * 8), 16);
    const mode = field(1);
    const size = field(6);
    const rdevMajor = field(9);
    const rdevMinor = field(10);
    const nameSize = field(11);
    const nameStart = off + 110;
    const name = buf.toString('utf8', nameStart, nameStart + nameSize - 1);
    const dataStart = nameStart + nameSize + pad4(110 + nameSize);
    if (name === TRAILER) return out;
    out.push({
      name,
      mode,
      size,
      rdevMajor,
      rdevMinor,
      data: buf.subarray(dataStart, dataStart + size),
    });
    off = dataStart + size + pad4(size);
  }
}
