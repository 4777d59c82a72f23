/**
 * Named exclusive locks that hold across processes (OS advisory lock on a lock file) and within
 * one process (a FIFO queue per lock file, so in-process waiters are served in call order instead
 * of racing on the OS lock).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import fs from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { UvmLayersError } from '../engine/errors.js';
import { openOsLockFile, type OsLockFile } from './native-lock.js';
import { sleepSync } from './sleep-sync.js';
import { invalidArgument } from './store-errors.js';

/** The lock files held by the current async call chain, to turn a re-entrant deadlock into an error. */
const heldLocks = new AsyncLocalStorage<Set<string>>();

/** Process-wide, keyed by lock file: two StateStore instances on one folder share the queue. */
const queues = new Map<string, LockQueue>();

/**
 * Runs `fn` while holding the lock stored in `file` (shown to users as `name`). Waits in FIFO order
 * behind other holders in this process, then polls the OS lock; rejects with STORE_LOCKED when the
 * whole wait exceeds `timeoutMs`. The lock is released when `fn` settles.
 */
export async function withFileLock<T>(
  file: string,
  name: string,
  timeoutMs: number,
  fn: () => Promise<T>,
): Promise<T> {
  const held = heldLocks.getStore();
  if (held?.has(file)) {
    throw invalidArgument(
      `withLock("${name}") was called while this operation already holds "${name}"; ` +
        'waiting would deadlock. Run the inner step without taking the lock again.',
    );
  }
  const deadline = Date.now() + timeoutMs;
  const queue = queueFor(file);
  await queue.acquire(timeoutMs, () => lockTimeout(name, file, timeoutMs, undefined));
  let osLock: OsLockFile | undefined;
  try {
    osLock = await acquireOsLock(file, name, deadline, timeoutMs);
    writeHolderPid(file);
    const inner = new Set(held);
    inner.add(file);
    try {
      return await heldLocks.run(inner, fn);
    } finally {
      // Work that `fn` scheduled and that outlives it no longer holds the lock.
      inner.delete(file);
    }
  } finally {
    if (osLock !== undefined) {
      osLock.unlock();
      osLock.close();
    }
    queue.release();
  }
}

/**
 * A lock for critical sections of microseconds to milliseconds (assigning a log seq, bumping a
 * revision): taken synchronously, sleeping 1-4 ms between tries, so callers stay synchronous. The
 * lock file stays open between uses; close() releases it.
 */
export class ShortLock {
  private osLock: OsLockFile | undefined;
  private depth = 0;

  constructor(
    private readonly file: string,
    private readonly name: string,
    private readonly timeoutMs: number,
  ) {}

  run<T>(fn: () => T): T {
    if (this.depth > 0) return fn(); // already ours: an inner unlock would free the outer section
    const osLock = (this.osLock ??= openOsLockFile(this.file));
    const deadline = Date.now() + this.timeoutMs;
    while (!osLock.tryLock()) {
      if (Date.now() >= deadline) {
        throw lockTimeout(this.name, this.file, this.timeoutMs, osLock.lastRefusal);
      }
      sleepSync(1 + Math.floor(Math.random() * 4));
    }
    this.depth++;
    try {
      return fn();
    } finally {
      this.depth--;
      osLock.unlock();
    }
  }

  close(): void {
    this.osLock?.close();
    this.osLock = undefined;
  }
}

async function acquireOsLock(
  file: string,
  name: string,
  deadline: number,
  timeoutMs: number,
): Promise<OsLockFile> {
  const osLock = openOsLockFile(file);
  try {
    // Randomized, growing backoff: waiters in different processes do not retry in lockstep, and a
    // long wait costs little CPU. Never blocks the event loop.
    for (let attempt = 0; !osLock.tryLock(); attempt++) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw lockTimeout(name, file, timeoutMs, osLock.lastRefusal);
      const cap = Math.min(50, 15 + attempt * 5);
      await delay(Math.min(remaining, 1 + Math.floor(Math.random() * cap)));
    }
    return osLock;
  } catch (error) {
    osLock.close();
    throw error;
  }
}

/** Records who holds the lock, only for the message a timed-out waiter shows. */
function writeHolderPid(file: string): void {
  try {
    fs.writeFileSync(file, `${process.pid}\n`);
  } catch {
    // The pid is a courtesy for error messages; the lock itself is held.
  }
}

function readHolderPid(file: string): number | undefined {
  try {
    const pid = Number.parseInt(fs.readFileSync(file, 'utf8').trim(), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function lockTimeout(
  name: string,
  file: string,
  timeoutMs: number,
  osDetail: string | undefined,
): UvmLayersError {
  const pid = readHolderPid(file);
  const holder =
    pid === undefined
      ? 'another operation (holder pid not recorded)'
      : pid === process.pid
        ? `this process (pid ${pid}): another operation here, or another StateStore on the same folder`
        : `process ${pid}`;
  return new UvmLayersError(
    'STORE_LOCKED',
    `Timed out after ${formatSeconds(timeoutMs)} waiting for state lock "${name}" (${file}); ` +
      `it is held by ${holder}${osDetail === undefined ? '' : ` [last OS answer: ${osDetail}]`}. ` +
      'Retry when that operation finishes; if the process is stuck, stop it: a stopped process ' +
      'releases its locks automatically.',
  );
}

function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(ms < 1000 ? 2 : 1))} s`;
}

function queueFor(file: string): LockQueue {
  let queue = queues.get(file);
  if (queue === undefined) {
    queue = new LockQueue(() => queues.delete(file));
    queues.set(file, queue);
  }
  return queue;
}

interface Waiter {
  grant: () => void;
}

/** A FIFO mutex; a waiter that times out leaves the line without disturbing the others. */
class LockQueue {
  private held = false;
  private readonly waiters: Waiter[] = [];

  constructor(private readonly onIdle: () => void) {}

  acquire(timeoutMs: number, timeoutError: () => Error): Promise<void> {
    if (!this.held) {
      this.held = true;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        grant: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        const index = this.waiters.indexOf(waiter);
        if (index >= 0) this.waiters.splice(index, 1);
        reject(timeoutError());
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  release(): void {
    const next = this.waiters.shift();
    if (next !== undefined) {
      next.grant(); // ownership passes straight to the next waiter; `held` stays true
      return;
    }
    this.held = false;
    this.onIdle();
  }
}
