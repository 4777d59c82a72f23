/**
 * Serialises this process's calls per UVM. Across processes the QMP socket itself is the lock
 * (QEMU serves one client at a time), but two calls of one process must not interleave their
 * QMP and agent steps, and queueing them here is cheaper than queueing on the socket.
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const current = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => current);
    this.tails.set(key, tail);
    await previous;
    try {
      return await fn();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}
