import { setTimeout as delay } from 'node:timers/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UvmLayersError } from '../engine/errors.js';
import { StateStore } from './state-store.js';
import { removeTempStateDirs, tempStateDir } from './test-support/store-child.js';

afterAll(removeTempStateDirs);

async function rejection(promise: Promise<unknown>): Promise<UvmLayersError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof UvmLayersError) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

describe('withLock in one process', () => {
  it('never runs two holders of one name at once, and serves them in call order', async () => {
    const store = StateStore.open(tempStateDir());
    let inside = 0;
    let maxInside = 0;
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        store.withLock('uvm/u1', async () => {
          inside++;
          maxInside = Math.max(maxInside, inside);
          order.push(i);
          await delay(i % 3); // yield so an unprotected holder would overlap
          inside--;
        }),
      ),
    );
    expect(maxInside).toBe(1);
    expect(order).toEqual(Array.from({ length: 12 }, (_, i) => i));
  });

  it('lets different names run at the same time', async () => {
    const store = StateStore.open(tempStateDir());
    let releaseA: (() => void) | undefined;
    const a = store.withLock(
      'uvm/a',
      () => new Promise<string>((resolve) => (releaseA = () => resolve('a'))),
    );
    // 'uvm/b' must not wait for 'uvm/a': it is the one that lets 'uvm/a' finish.
    const b = store.withLock('uvm/b', async () => {
      await delay(1);
      releaseA?.();
      return 'b';
    });
    expect(await Promise.all([a, b])).toEqual(['a', 'b']);
  });

  it('passes the result through and releases the lock when fn throws', async () => {
    const store = StateStore.open(tempStateDir(), { lockTimeoutMs: 1_000 });
    await expect(store.withLock('host', () => Promise.reject(new Error('boom')))).rejects.toThrow(
      'boom',
    );
    expect(await store.withLock('host', () => Promise.resolve(42))).toBe(42);
  });

  it('times out with STORE_LOCKED naming the lock, its file and the holder', async () => {
    const store = StateStore.open(tempStateDir(), { lockTimeoutMs: 100 });
    let release: (() => void) | undefined;
    const holder = store.withLock(
      'registry',
      () => new Promise<void>((resolve) => (release = resolve)),
    );
    await delay(5);
    const error = await rejection(store.withLock('registry', () => Promise.resolve()));
    expect(error.code).toBe('STORE_LOCKED');
    expect(error.message).toContain('"registry"');
    expect(error.message).toContain(path.join(store.dir, 'locks', 'registry.lock'));
    expect(error.message).toContain(`pid ${process.pid}`);
    release?.();
    await holder;
    await store.withLock('registry', () => Promise.resolve()); // free again after the timeout
  });

  it('excludes a second StateStore opened on the same folder in this process', async () => {
    const dir = tempStateDir();
    const first = StateStore.open(dir);
    const second = StateStore.open(dir, { lockTimeoutMs: 100 });
    let release: (() => void) | undefined;
    const holder = first.withLock(
      'uvm/u1',
      () => new Promise<void>((resolve) => (release = resolve)),
    );
    await delay(5);
    expect((await rejection(second.withLock('uvm/u1', () => Promise.resolve()))).code).toBe(
      'STORE_LOCKED',
    );
    release?.();
    await holder;
    expect(await second.withLock('uvm/u1', () => Promise.resolve('ok'))).toBe('ok');
  });

  it('refuses a re-entrant withLock of a held name instead of deadlocking', async () => {
    const store = StateStore.open(tempStateDir());
    const error = await rejection(
      store.withLock('uvm/u1', () => store.withLock('uvm/u1', () => Promise.resolve())),
    );
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toMatch(/already holds "uvm\/u1"/);
    // Nesting a different name is fine.
    expect(
      await store.withLock('uvm/u1', () => store.withLock('host', () => Promise.resolve('nested'))),
    ).toBe('nested');
  });

  it('rejects an invalid lock name', async () => {
    const store = StateStore.open(tempStateDir());
    expect((await rejection(store.withLock('../etc', () => Promise.resolve()))).code).toBe(
      'INVALID_ARGUMENT',
    );
  });
});
