/**
 * Notices record files and the request log changing on disk, whoever changed them. fs.watch gives
 * low latency but misses events on some file systems (network shares, some containers, inotify
 * limits), so a cheap poll (readdir + stat every 250 ms) backs it up. Both feed one stat-signature
 * check, so a change is passed on once per file version however many events announce it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { hasErrno } from './store-errors.js';
import { isKindDir, isValidKey, LOG_FILE, recordName } from './store-paths.js';

export const POLL_INTERVAL_MS = 250;

export interface WatchTarget {
  /** A record file may have changed (or vanished). `baseline`: initial scan, do not report. */
  onKey(key: string, baseline: boolean): void;
  /** The request log may have grown. */
  onLog(baseline: boolean): void;
}

/** Watchers and timers currently open in this process; tests assert it drops to 0. */
let openHandles = 0;

export function activeWatchHandles(): number {
  return openHandles;
}

export class StoreWatch {
  private readonly watchers = new Map<string, fs.FSWatcher>();
  /** Last stat signature per key; absent = no such file seen. */
  private readonly signatures = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private logSignature: string | undefined;

  constructor(
    private readonly root: string,
    private readonly target: WatchTarget,
  ) {}

  get running(): boolean {
    return this.timer !== undefined;
  }

  start(): void {
    if (this.running) return;
    this.timer = setInterval(() => this.scan(false), POLL_INTERVAL_MS);
    openHandles++;
    this.watchFolder(this.root, undefined);
    this.scan(true);
  }

  stop(): void {
    if (this.timer !== undefined) {
      clearInterval(this.timer);
      this.timer = undefined;
      openHandles--;
    }
    for (const folder of [...this.watchers.keys()]) this.unwatchFolder(folder);
    this.signatures.clear();
    this.logSignature = undefined;
  }

  /** Walks the whole tree: discovers new folders and files, and notices vanished ones. */
  private scan(baseline: boolean): void {
    if (!this.running) return;
    const present = new Set<string>();
    for (const entry of readDir(this.root)) {
      if (entry.isDirectory() && isKindDir(entry.name)) {
        const folder = path.join(this.root, entry.name);
        this.watchFolder(folder, entry.name);
        for (const child of readDir(folder)) {
          const name = child.isFile() ? recordName(child.name) : undefined;
          if (name !== undefined) present.add(`${entry.name}/${name}`);
        }
      } else if (entry.isFile()) {
        const name = recordName(entry.name);
        if (name !== undefined) present.add(name);
      }
    }
    for (const key of this.signatures.keys()) present.add(key);
    for (const key of present) this.checkKey(key, baseline);
    this.checkLog(baseline);
  }

  private checkKey(key: string, baseline: boolean): void {
    if (!isValidKey(key)) return; // stray files (editor backups, other tools) are not records
    const signature = statSignature(path.join(this.root, ...key.split('/')) + '.json');
    if (signature === this.signatures.get(key)) return;
    if (signature === undefined) this.signatures.delete(key);
    else this.signatures.set(key, signature);
    this.target.onKey(key, baseline);
  }

  private checkLog(baseline: boolean): void {
    const signature = statSignature(path.join(this.root, LOG_FILE));
    if (signature === this.logSignature) return;
    this.logSignature = signature;
    if (signature !== undefined) this.target.onLog(baseline);
  }

  /** `kind` undefined = the root folder (top-level records, the log, new kind folders). */
  private watchFolder(folder: string, kind: string | undefined): void {
    if (this.watchers.has(folder)) return;
    let watcher: fs.FSWatcher;
    try {
      watcher = fs.watch(folder, (_event, filename) => this.onEvent(kind, filename));
    } catch {
      return; // e.g. inotify watch limit reached: polling still covers this folder
    }
    watcher.on('error', () => this.unwatchFolder(folder)); // folder removed: polling takes over
    this.watchers.set(folder, watcher);
    openHandles++;
  }

  private unwatchFolder(folder: string): void {
    const watcher = this.watchers.get(folder);
    if (watcher === undefined) return;
    this.watchers.delete(folder);
    openHandles--;
    watcher.close();
  }

  private onEvent(kind: string | undefined, filename: string | Buffer | null): void {
    if (!this.running) return;
    const entry = typeof filename === 'string' ? filename : filename?.toString('utf8');
    if (entry === undefined) {
      this.scan(false); // the OS did not say which file: look at everything
      return;
    }
    if (kind === undefined && entry === LOG_FILE) {
      this.checkLog(false);
      return;
    }
    if (kind === undefined && isKindDir(entry)) {
      this.scan(false); // a new kind folder: start watching it and pick up what it already holds
      return;
    }
    const name = recordName(entry);
    if (name !== undefined) this.checkKey(kind === undefined ? name : `${kind}/${name}`, false);
  }
}

function readDir(folder: string): fs.Dirent[] {
  try {
    return fs.readdirSync(folder, { withFileTypes: true });
  } catch {
    return []; // absent or unreadable: nothing to report; reads will surface real errors
  }
}

/** Changes whenever a file is replaced (rename gives a new inode) or rewritten in place. */
function statSignature(file: string): string | undefined {
  try {
    const s = fs.statSync(file, { bigint: true });
    return `${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
  } catch (error) {
    if (hasErrno(error, 'ENOENT', 'ENOTDIR')) return undefined;
    return `error:${String(error)}`;
  }
}
