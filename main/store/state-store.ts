/**
 * The crash-safe state store shared by every uvm-layers process (desktop app, CLI, `serve`) that
 * uses one state directory: versioned JSON records, named inter-process locks, operation intents,
 * the request log, and change notifications for writes made by any of those processes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UvmLayersError } from '../engine/errors.js';
import type { LogEntry } from '../engine/views.js';
import {
  createFileAtomic,
  ensureDir,
  readFileIfExists,
  removeFileDurably,
  writeFileAtomic,
} from './atomic-file.js';
import { ChangeFeed, type StoreChange } from './change-feed.js';
import { ShortLock, withFileLock } from './file-lock.js';
import { RequestLog, type LogFilter } from './request-log.js';
import { hasErrno, invalidArgument, ioError } from './store-errors.js';
import {
  checkMarker,
  encodeValue,
  parseIntent,
  parseRecord,
  serializeIntent,
  serializeMarker,
  serializeRecord,
  serializeTombstone,
  type StoredRecord,
} from './store-format.js';
import {
  INTENTS_DIR,
  intentFile,
  isKindDir,
  isValidKey,
  LOCKS_DIR,
  lockFile,
  LOG_FILE,
  LOG_LOCK_NAME,
  MARKER_FILE,
  recordFile,
  recordName,
  validateIntentName,
  validateKey,
  validateLockName,
  WRITE_LOCK_NAME,
} from './store-paths.js';
import { StoreWatch } from './store-watch.js';

export { STORE_FORMAT_VERSION } from './store-format.js';
export type { StoreChange, StoreListener } from './change-feed.js';
export type { LogFilter } from './request-log.js';

/** A record's data with its revision, which grows by one on every write or delete of the key. */
export interface Versioned<T> {
  revision: number;
  data: T;
}

export interface StateStoreOptions {
  /** How long withLock (and the short internal locks) wait before STORE_LOCKED. Default 30 s. */
  lockTimeoutMs?: number;
}

const DEFAULT_LOCK_TIMEOUT_MS = 30_000;

export class StateStore {
  /** Absolute path of the state directory. */
  readonly dir: string;
  private readonly lockTimeoutMs: number;
  /** Serializes read-revision-then-replace across processes, so two writers never share a revision. */
  private readonly writeLock: ShortLock;
  private readonly logLock: ShortLock;
  private readonly log: RequestLog;
  private readonly feed: ChangeFeed;
  private readonly watch: StoreWatch;
  private closed = false;

  private constructor(dir: string, lockTimeoutMs: number) {
    this.dir = dir;
    this.lockTimeoutMs = lockTimeoutMs;
    this.writeLock = new ShortLock(lockFile(dir, WRITE_LOCK_NAME), 'store writes', lockTimeoutMs);
    this.logLock = new ShortLock(lockFile(dir, LOG_LOCK_NAME), 'request log', lockTimeoutMs);
    this.log = new RequestLog(path.join(dir, LOG_FILE), this.logLock);
    this.watch = new StoreWatch(dir, {
      onKey: (key, baseline) => this.noticeKey(key, baseline),
      onLog: (baseline) => this.noticeLog(baseline),
    });
    this.feed = new ChangeFeed({ start: () => this.watch.start(), stop: () => this.watch.stop() });
  }

  /**
   * Opens (creating if needed, mode 0700) the state directory `dir`. Refuses a directory whose
   * store.json is unreadable (STORE_CORRUPT) or from a newer uvm-layers (STORE_VERSION).
   */
  static open(dir: string, options: StateStoreOptions = {}): StateStore {
    if (typeof dir !== 'string' || dir.trim() === '') {
      throw invalidArgument('The state directory path is empty; pass --state-dir <folder>.');
    }
    const lockTimeoutMs = options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
    if (!Number.isFinite(lockTimeoutMs) || lockTimeoutMs < 0) {
      throw invalidArgument(
        `Invalid lockTimeoutMs ${lockTimeoutMs}: expected a number of milliseconds >= 0.`,
      );
    }
    const absolute = path.resolve(dir);
    ensureDir(absolute);
    const marker = path.join(absolute, MARKER_FILE);
    let text = readFileIfExists(marker);
    if (text === undefined && !createFileAtomic(marker, serializeMarker())) {
      text = readFileIfExists(marker); // another process created it a moment ago
    }
    if (text !== undefined) checkMarker(absolute, marker, text);
    ensureDir(path.join(absolute, LOCKS_DIR));
    return new StateStore(absolute, lockTimeoutMs);
  }

  /** The record at `key`, or undefined when it was never written or was deleted. */
  read<T>(key: string): Versioned<T> | undefined {
    this.assertOpen();
    validateKey(key);
    const record = this.readRecord(key);
    if (record === undefined || record.deleted) return undefined;
    return { revision: record.revision, data: record.data as T };
  }

  /** Keys starting with `prefix` that hold data (deleted keys excluded), sorted. */
  list(prefix: string): string[] {
    this.assertOpen();
    if (typeof prefix !== 'string')
      throw invalidArgument('list(prefix) needs a string prefix, e.g. "uvm/".');
    const keys: string[] = [];
    for (const entry of readDirEntries(this.dir)) {
      if (entry.isFile()) {
        const name = recordName(entry.name);
        if (name !== undefined) keys.push(name);
      } else if (entry.isDirectory() && isKindDir(entry.name)) {
        const kindPrefix = `${entry.name}/`;
        if (!kindPrefix.startsWith(prefix) && !prefix.startsWith(kindPrefix)) continue;
        for (const child of readDirEntries(path.join(this.dir, entry.name))) {
          const name = child.isFile() ? recordName(child.name) : undefined;
          if (name !== undefined) keys.push(kindPrefix + name);
        }
      }
    }
    return keys
      .filter((key) => key.startsWith(prefix) && isValidKey(key) && !this.isTombstone(key))
      .sort();
  }

  /**
   * Atomically replaces `key` with `data` (temp file, fsync, rename, fsync folder) and returns the
   * new revision. Refuses to replace a corrupt or newer-format file. Callers that read-modify-write
   * must hold the matching withLock: write() alone only guarantees distinct, growing revisions.
   */
  write<T>(key: string, data: T): number {
    this.assertOpen();
    validateKey(key);
    const json = encodeValue(`state "${key}"`, data);
    const file = recordFile(this.dir, key);
    const revision = this.writeLock.run(() => {
      const revision = (this.readRecord(key)?.revision ?? 0) + 1;
      writeFileAtomic(file, serializeRecord(revision, json));
      return revision;
    });
    this.feed.offer(key, revision, true);
    return revision;
  }

  /**
   * Deletes `key` (absent is fine). A tombstone keeps the revision, so a re-created key continues
   * counting and watchers never see a revision go backwards.
   */
  delete(key: string): void {
    this.assertOpen();
    validateKey(key);
    const file = recordFile(this.dir, key);
    const revision = this.writeLock.run(() => {
      const previous = this.readRecord(key);
      if (previous === undefined || previous.deleted) return undefined;
      const revision = previous.revision + 1;
      writeFileAtomic(file, serializeTombstone(revision));
      return revision;
    });
    if (revision !== undefined) this.feed.offer(key, revision, false);
  }

  /**
   * Runs `fn` holding the lock `name` ('uvm/u1', 'host', 'registry', ...), exclusive across
   * processes and, in FIFO order, within this one. Different names never block each other.
   * Rejects with STORE_LOCKED after lockTimeoutMs, and with INVALID_ARGUMENT when called again
   * for a name the calling operation already holds (that would deadlock).
   */
  async withLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
    this.assertOpen();
    validateLockName(name);
    return withFileLock(lockFile(this.dir, name), name, this.lockTimeoutMs, fn);
  }

  /** The intent recorded under `name` by an operation that has not finished, if any. */
  readIntent<T>(name: string): T | undefined {
    this.assertOpen();
    validateIntentName(name);
    const file = intentFile(this.dir, name);
    const text = readFileIfExists(file);
    return text === undefined ? undefined : (parseIntent(file, text) as T);
  }

  /** Durably records what an operation is about to do, before it touches HCS. */
  writeIntent<T>(name: string, intent: T): void {
    this.assertOpen();
    validateIntentName(name);
    const json = encodeValue(`intent "${name}"`, intent);
    const file = intentFile(this.dir, name);
    const existing = readFileIfExists(file);
    if (existing !== undefined) parseIntent(file, existing); // never overwrite corrupt/newer files
    writeFileAtomic(file, serializeIntent(json));
  }

  /** Removes the intent `name` (absent is fine): the operation finished or was rolled back. */
  clearIntent(name: string): void {
    this.assertOpen();
    validateIntentName(name);
    removeFileDurably(intentFile(this.dir, name));
  }

  /** Names of every recorded intent, sorted: what a crashed process left to finish or roll back. */
  listIntents(): string[] {
    this.assertOpen();
    const root = path.join(this.dir, INTENTS_DIR);
    const names: string[] = [];
    for (const entry of readDirEntries(root)) {
      if (entry.isFile()) {
        const name = recordName(entry.name);
        if (name !== undefined) names.push(name);
      } else if (entry.isDirectory()) {
        for (const child of readDirEntries(path.join(root, entry.name))) {
          const name = child.isFile() ? recordName(child.name) : undefined;
          if (name !== undefined) names.push(`${entry.name}/${name}`);
        }
      }
    }
    return names.filter(isValidIntentName).sort();
  }

  /** Appends to the request log with the next global seq (unique across processes). */
  appendLog(entry: Omit<LogEntry, 'seq'>): LogEntry {
    this.assertOpen();
    const full = this.log.append(entry);
    this.feed.offer('log', full.seq, true);
    return full;
  }

  /** Request-log entries, oldest first; `tail` keeps the last N after the `uvm` filter. */
  readLog(filter?: LogFilter): LogEntry[] {
    this.assertOpen();
    return this.log.read(filter);
  }

  /**
   * Calls `listener` for every write or delete made by any process (this one included, always
   * asynchronously) after this call, usually within a few ms (fs.watch) and at worst after the
   * 250 ms poll. Each (key, revision) once; a key's revision never goes backwards. Returns the
   * unsubscribe function; the last one stops all watchers and timers.
   */
  subscribe(listener: (change: StoreChange) => void): () => void {
    this.assertOpen();
    return this.feed.subscribe(listener);
  }

  /** Stops watching and closes the store's lock files. Locks held by withLock are unaffected. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.feed.clear();
    this.writeLock.close();
    this.logLock.close();
  }

  private readRecord(key: string): StoredRecord | undefined {
    const file = recordFile(this.dir, key);
    const text = readFileIfExists(file);
    return text === undefined ? undefined : parseRecord(file, text);
  }

  /** Listing keeps corrupt records, so the caller's read() reports them instead of hiding a UVM. */
  private isTombstone(key: string): boolean {
    try {
      return this.readRecord(key)?.deleted ?? true; // vanished since readdir: not listed
    } catch {
      return false;
    }
  }

  private noticeKey(key: string, baseline: boolean): void {
    let record: StoredRecord | undefined;
    try {
      record = this.readRecord(key);
    } catch {
      return; // corrupt or newer: nothing to report; read() will tell the user what is wrong
    }
    if (record === undefined) {
      if (!baseline) this.feed.offerGone(key);
    } else if (baseline) {
      this.feed.baseline(key, record.revision, !record.deleted);
    } else {
      this.feed.offer(key, record.revision, !record.deleted);
    }
  }

  private noticeLog(baseline: boolean): void {
    let seq: number;
    try {
      seq = this.log.peekLastSeq();
    } catch {
      return;
    }
    if (seq === 0) return;
    if (baseline) this.feed.baseline('log', seq, true);
    else this.feed.offer('log', seq, true);
  }

  private assertOpen(): void {
    if (this.closed) {
      throw new UvmLayersError(
        'INTERNAL',
        `The state store at ${this.dir} was closed; open it again with StateStore.open().`,
      );
    }
  }
}

function isValidIntentName(name: string): boolean {
  try {
    validateIntentName(name);
    return true;
  } catch {
    return false;
  }
}

function readDirEntries(folder: string): fs.Dirent[] {
  try {
    return fs.readdirSync(folder, { withFileTypes: true });
  } catch (error) {
    if (hasErrno(error, 'ENOENT')) return [];
    throw ioError('list', folder, error);
  }
}
