/**
 * Fan-out of store changes to listeners, with the guarantees a replica needs: each (key, revision)
 * is reported once, and a key's revision never goes backwards, whichever of the several sources
 * (own writes, fs.watch, polling) noticed it first.
 */

/** A change to one key; revision null = deleted. Key 'log' = request-log appends (revision = last seq). */
export interface StoreChange {
  key: string;
  revision: number | null;
}

export type StoreListener = (change: StoreChange) => void;

interface Seen {
  revision: number;
  present: boolean;
}

export class ChangeFeed {
  private readonly listeners = new Set<StoreListener>();
  private readonly seen = new Map<string, Seen>();

  /** `start` runs when the first listener arrives, `stop` when the last one leaves. */
  constructor(private readonly hooks: { start: () => void; stop: () => void }) {}

  get active(): boolean {
    return this.listeners.size > 0;
  }

  subscribe(listener: StoreListener): () => void {
    // A fresh object per call, so subscribing one function twice needs two unsubscribes.
    const entry: StoreListener = (change) => listener(change);
    const first = this.listeners.size === 0;
    this.listeners.add(entry);
    if (first) {
      try {
        this.hooks.start();
      } catch (error) {
        this.listeners.delete(entry);
        this.stopQuietly();
        throw error;
      }
    }
    let subscribed = true;
    return () => {
      if (!subscribed) return;
      subscribed = false;
      this.listeners.delete(entry);
      if (this.listeners.size === 0) this.stopQuietly();
    };
  }

  /** Stops watching and drops every listener (the store is closing). */
  clear(): void {
    if (this.listeners.size === 0) return;
    this.listeners.clear();
    this.stopQuietly();
  }

  /** Records the state at the moment watching starts; changes are reported relative to it. */
  baseline(key: string, revision: number, present: boolean): void {
    const seen = this.seen.get(key);
    if (seen === undefined || revision > seen.revision) this.seen.set(key, { revision, present });
  }

  /** Reports `key` at `revision` (present false = deleted) unless that revision was already seen. */
  offer(key: string, revision: number, present: boolean): void {
    if (!this.active) return;
    const seen = this.seen.get(key);
    if (seen !== undefined && revision <= seen.revision) return;
    this.seen.set(key, { revision, present });
    this.deliver({ key, revision: present ? revision : null });
  }

  /** The file disappeared without a tombstone (removed by hand): report one delete. */
  offerGone(key: string): void {
    if (!this.active) return;
    const seen = this.seen.get(key);
    if (seen === undefined || !seen.present) return;
    this.seen.set(key, { revision: seen.revision, present: false });
    this.deliver({ key, revision: null });
  }

  private deliver(change: StoreChange): void {
    // Asynchronous, so a listener never runs inside write()/delete() of its own process; microtasks
    // keep the order in which changes were accepted.
    queueMicrotask(() => {
      for (const listener of [...this.listeners]) {
        if (!this.listeners.has(listener)) continue; // unsubscribed by an earlier listener
        try {
          listener(change);
        } catch (error) {
          // One faulty listener must not starve the others or break the store's watcher.
          const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
          process.emitWarning(
            `A state-store change listener threw: ${detail}`,
            'StateStoreWarning',
          );
        }
      }
    });
  }

  private stopQuietly(): void {
    this.seen.clear();
    this.hooks.stop();
  }
}
