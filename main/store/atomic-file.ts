/**
 * Crash-safe file replacement: readers see either the old or the new content, never a mix, and
 * after we return the new content survives a power cut.
 */
import fs from 'node:fs';
import path from 'node:path';
import { sleepSync } from './sleep-sync.js';
import { hasErrno, ioError } from './store-errors.js';
import { tempFileName } from './store-paths.js';

const isWindows = process.platform === 'win32';

/** Creates `temp` (never an existing file) with `content`, flushed to disk. */
function writeDurably(temp: string, content: string): void {
  const fd = fs.openSync(temp, 'wx', 0o600);
  try {
    writeAll(fd, Buffer.from(content, 'utf8'));
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Writes `content` to a temp file beside `file`, fsyncs it, renames it over `file` and fsyncs the
 * folder (so the rename itself is durable). Creates missing parent folders (mode 0700).
 */
export function writeFileAtomic(file: string, content: string): void {
  const dir = path.dirname(file);
  ensureDir(dir);
  const temp = path.join(dir, tempFileName(file));
  try {
    writeDurably(temp, content);
    renameWithRetry(temp, file);
  } catch (error) {
    removeQuietly(temp);
    throw ioError('write', file, error);
  }
  fsyncDir(dir);
}

/**
 * Creates `file` with `content` only if it does not exist yet, without a moment where it exists
 * half-written: the content goes to a temp file that is then hard-linked into place (link fails
 * if the name is taken, unlike rename). Returns false when the file already existed.
 */
export function createFileAtomic(file: string, content: string): boolean {
  const dir = path.dirname(file);
  ensureDir(dir);
  const temp = path.join(dir, tempFileName(file));
  try {
    writeDurably(temp, content);
    try {
      fs.linkSync(temp, file);
    } catch (error) {
      if (hasErrno(error, 'EEXIST')) return false;
      if (!hasErrno(error, 'EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EMLINK')) throw error;
      // No hard links here (FAT, some network shares): a check-then-rename is the best we can do.
      if (fs.existsSync(file)) return false;
      fs.renameSync(temp, file);
    }
  } catch (error) {
    throw ioError('create', file, error);
  } finally {
    removeQuietly(temp);
  }
  fsyncDir(dir);
  return true;
}

/** Removes `file` (absent is fine) and makes the removal durable. */
export function removeFileDurably(file: string): void {
  try {
    fs.unlinkSync(file);
  } catch (error) {
    if (hasErrno(error, 'ENOENT')) return;
    throw ioError('remove', file, error);
  }
  fsyncDir(path.dirname(file));
}

/** mkdir -p with owner-only access: the state holds paths and VM layout of this user. */
export function ensureDir(dir: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw ioError('create the folder', dir, error);
  }
}

/** Reads a whole file as UTF-8, or undefined when it does not exist. */
export function readFileIfExists(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    if (hasErrno(error, 'ENOENT', 'ENOTDIR')) return undefined;
    throw ioError('read', file, error);
  }
}

function writeAll(fd: number, buffer: Buffer): void {
  let offset = 0;
  while (offset < buffer.length) {
    offset += fs.writeSync(fd, buffer, offset, buffer.length - offset);
  }
}

/**
 * On Windows a rename over a file fails while another program (antivirus, indexer) has it open
 * without delete sharing; that lasts milliseconds, so retry briefly before giving up.
 */
function renameWithRetry(from: string, to: string): void {
  for (let attempt = 0; ; attempt++) {
    try {
      fs.renameSync(from, to);
      return;
    } catch (error) {
      if (!isWindows || attempt >= 20 || !hasErrno(error, 'EPERM', 'EACCES', 'EBUSY')) throw error;
      sleepSync(5 + attempt * 5);
    }
  }
}

/** Windows cannot open or fsync a folder (NTFS makes renames durable itself); POSIX needs it. */
function fsyncDir(dir: string): void {
  if (isWindows) return;
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch (error) {
    // Some file systems (network, FUSE) do not support fsync on a folder; the rename happened.
    if (!hasErrno(error, 'EINVAL', 'ENOTSUP', 'EISDIR', 'EPERM', 'EACCES')) {
      throw ioError('flush the folder', dir, error);
    }
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

function removeQuietly(file: string): void {
  try {
    fs.unlinkSync(file);
  } catch {
    // Best effort: a stray temp file is ignored by readers and listing.
  }
}
