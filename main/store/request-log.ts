/**
 * The request log (`log.jsonl`): one JSON LogEntry per line, with a seq that is global across
 * every process sharing the state directory.
 */
import fs from 'node:fs';
import type { LogEntry } from '../engine/views.js';
import type { ShortLock } from './file-lock.js';
import { hasErrno, invalidArgument, ioError } from './store-errors.js';
import { visitLinesBackward } from './tail-lines.js';

export interface LogFilter {
  /** Only entries for this UVM id (host entries have uvm null). */
  uvm?: string;
  /** Only the last N entries (after filtering). */
  tail?: number;
}

interface TailCache {
  ino: number;
  size: number;
  lastSeq: number;
}

export class RequestLog {
  /** What this process last saw at the end of the file; valid while (ino, size) are unchanged. */
  private cache: TailCache | undefined;

  constructor(
    readonly file: string,
    private readonly lock: ShortLock,
  ) {}

  /**
   * Appends an entry with the next seq. The seq is assigned under the log lock; the tail is read
   * again only when another process appended since our last append (the file size changed).
   * Not fsynced: losing the last entries to a power cut is acceptable for a troubleshooting log,
   * and seq uniqueness relies on the page cache, which every process shares.
   */
  append(entry: Omit<LogEntry, 'seq'>): LogEntry {
    return this.lock.run(() => {
      const before = statIfExists(this.file);
      let lastSeq = 0;
      let needsNewline = false;
      if (before !== undefined && before.size > 0) {
        const cache = this.cache;
        if (cache !== undefined && cache.ino === before.ino && cache.size === before.size) {
          lastSeq = cache.lastSeq; // our own append ended the file with a newline
        } else {
          const tail = this.scanTail(before.size);
          lastSeq = tail.lastSeq;
          // A writer killed mid-line left no newline; start on a fresh line so the torn one stays
          // a single unreadable line (skipped by readers) instead of swallowing ours.
          needsNewline = !tail.endsWithNewline;
        }
      }
      const full = toEntry(lastSeq + 1, entry);
      const text = `${needsNewline ? '\n' : ''}${stringifyEntry(full)}\n`;
      let fd: number | undefined;
      try {
        fd = fs.openSync(this.file, 'a', 0o600);
        const bytes = Buffer.from(text, 'utf8');
        let written = 0;
        while (written < bytes.length) written += fs.writeSync(fd, bytes, written);
        const after = fs.fstatSync(fd);
        this.cache = { ino: after.ino, size: after.size, lastSeq: full.seq };
      } catch (error) {
        this.cache = undefined;
        throw ioError('append to', this.file, error);
      } finally {
        if (fd !== undefined) fs.closeSync(fd);
      }
      return full;
    });
  }

  /** Entries oldest first. Unreadable lines (a torn last line after a crash) are skipped. */
  read(filter: LogFilter = {}): LogEntry[] {
    const { uvm, tail } = filter;
    if (tail !== undefined && (!Number.isSafeInteger(tail) || tail < 0)) {
      throw invalidArgument(`Invalid log tail ${String(tail)}: expected a whole number >= 0.`);
    }
    if (tail === 0) return [];
    const matches = (e: LogEntry): boolean => uvm === undefined || e.uvm === uvm;
    return this.withFile((fd, size) => {
      const found: LogEntry[] = [];
      if (tail === undefined) {
        const text = size === 0 ? '' : fs.readFileSync(fd, 'utf8');
        for (const line of text.split('\n')) {
          const e = parseEntry(line);
          if (e !== undefined && matches(e)) found.push(e);
        }
        return found;
      }
      visitLinesBackward(fd, size, (line) => {
        const e = parseEntry(line);
        if (e !== undefined && matches(e)) found.push(e);
        return found.length >= tail;
      });
      return found.reverse();
    }, []);
  }

  /** The seq of the last readable entry (0 for none), without taking the lock; for watchers. */
  peekLastSeq(): number {
    return this.withFile((fd, size) => lastSeqIn(fd, size), 0);
  }

  private scanTail(size: number): { lastSeq: number; endsWithNewline: boolean } {
    return this.withFile(
      (fd, currentSize) => {
        const end = Math.min(size, currentSize);
        const last = Buffer.alloc(1);
        const endsWithNewline =
          end === 0 || (fs.readSync(fd, last, 0, 1, end - 1) === 1 && last[0] === 0x0a);
        return { lastSeq: lastSeqIn(fd, end), endsWithNewline };
      },
      { lastSeq: 0, endsWithNewline: true },
    );
  }

  private withFile<T>(use: (fd: number, size: number) => T, absent: T): T {
    let fd: number;
    try {
      fd = fs.openSync(this.file, 'r');
    } catch (error) {
      if (hasErrno(error, 'ENOENT')) return absent;
      throw ioError('read', this.file, error);
    }
    try {
      return use(fd, fs.fstatSync(fd).size);
    } catch (error) {
      throw ioError('read', this.file, error);
    } finally {
      fs.closeSync(fd);
    }
  }
}

function lastSeqIn(fd: number, size: number): number {
  let lastSeq = 0;
  visitLinesBackward(fd, size, (line) => {
    const e = parseEntry(line);
    if (e !== undefined) lastSeq = e.seq;
    return e !== undefined;
  });
  return lastSeq;
}

function statIfExists(file: string): { ino: number; size: number } | undefined {
  try {
    const stat = fs.statSync(file);
    return { ino: stat.ino, size: stat.size };
  } catch (error) {
    if (hasErrno(error, 'ENOENT')) return undefined;
    throw ioError('read', file, error);
  }
}

/** Copies only LogEntry's fields, in a fixed order, with seq first (handy when reading the file). */
function toEntry(seq: number, entry: Omit<LogEntry, 'seq'>): LogEntry {
  const full: LogEntry = {
    seq,
    time: entry.time,
    uvm: entry.uvm,
    request: entry.request,
    ok: entry.ok,
    ms: entry.ms,
  };
  if (entry.error !== undefined) full.error = entry.error;
  return full;
}

function stringifyEntry(entry: LogEntry): string {
  try {
    return JSON.stringify(entry);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw invalidArgument(
      `Cannot record log entry ${entry.seq}: it is not JSON-serializable (${detail}).`,
    );
  }
}

function parseEntry(line: string): LogEntry | undefined {
  if (line.trim() === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const e = value as Partial<Record<keyof LogEntry, unknown>>;
  const valid =
    typeof e.seq === 'number' &&
    Number.isSafeInteger(e.seq) &&
    e.seq > 0 &&
    typeof e.time === 'string' &&
    (e.uvm === null || typeof e.uvm === 'string') &&
    typeof e.ok === 'boolean' &&
    typeof e.ms === 'number' &&
    'request' in e;
  return valid ? (value as LogEntry) : undefined;
}
