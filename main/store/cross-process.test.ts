import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UvmLayersError } from '../engine/errors.js';
import { StateStore } from './state-store.js';
import {
  prepareStoreChildren,
  removeTempStateDirs,
  tempStateDir,
  type StoreChildren,
} from './test-support/store-child.js';

let children: StoreChildren;

beforeAll(() => {
  children = prepareStoreChildren();
});

afterAll(() => {
  children.dispose();
  removeTempStateDirs();
});

describe('several processes on one state directory', () => {
  it('serializes read-modify-write under withLock: no increment is lost', async () => {
    const dir = tempStateDir();
    const processes = 4;
    const increments = 20;
    await Promise.all(
      Array.from({ length: processes }, () =>
        children.run('increment', dir, 'counter', String(increments)),
      ),
    );
    const store = StateStore.open(dir);
    expect(store.read('counter')).toEqual({
      revision: processes * increments,
      data: processes * increments,
    });
  });

  it('frees the lock of a process killed with SIGKILL at once (no stale lock)', async () => {
    const dir = tempStateDir();
    const holder = children.start('hold', dir, 'registry');
    await holder.waitForLine('locked');
    const store = StateStore.open(dir, { lockTimeoutMs: 150 });

    let refused: unknown;
    await store
      .withLock('registry', () => Promise.resolve())
      .catch((error: unknown) => (refused = error));
    expect(refused).toBeInstanceOf(UvmLayersError);
    expect((refused as UvmLayersError).code).toBe('STORE_LOCKED');
    expect((refused as UvmLayersError).message).toContain(`process ${holder.process.pid}`);

    holder.process.kill('SIGKILL');
    expect((await holder.exited).code).toBe('SIGKILL');
    // Within the same short timeout: nothing has to expire or be cleaned up first.
    expect(await store.withLock('registry', () => Promise.resolve('mine'))).toBe('mine');
  });

  it('gives request-log entries unique, consecutive seqs across processes', async () => {
    const dir = tempStateDir();
    const processes = 4;
    const perProcess = 25;
    await Promise.all(
      Array.from({ length: processes }, (_, i) =>
        children.run('append', dir, String(perProcess), `u${i}`),
      ),
    );
    const store = StateStore.open(dir);
    store.appendLog({
      time: new Date().toISOString(),
      uvm: null,
      request: 'parent',
      ok: true,
      ms: 1,
    });
    const entries = store.readLog();
    const total = processes * perProcess + 1;
    expect(entries.map((e) => e.seq)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    for (let i = 0; i < processes; i++) {
      const own = entries
        .filter((e) => e.uvm === `u${i}`)
        .map((e) => (e.request as { i: number }).i);
      expect(own).toEqual(Array.from({ length: perProcess }, (_, n) => n)); // each process's order kept
    }
  });
});
