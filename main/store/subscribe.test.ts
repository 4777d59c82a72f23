import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StateStore, type StoreChange } from './state-store.js';
import { activeWatchHandles, POLL_INTERVAL_MS } from './store-watch.js';
import {
  prepareStoreChildren,
  removeTempStateDirs,
  tempStateDir,
  waitFor,
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

function collect(store: StateStore): { changes: StoreChange[]; unsubscribe: () => void } {
  const changes: StoreChange[] = [];
  const unsubscribe = store.subscribe((change) => changes.push(change));
  return { changes, unsubscribe };
}

const forKey = (changes: StoreChange[], key: string): Array<number | null> =>
  changes.filter((c) => c.key === key).map((c) => c.revision);

describe('subscribe', () => {
  it('reports a write and a delete made by another process, each once', async () => {
    const store = StateStore.open(tempStateDir());
    store.write('uvm/u1', { before: true }); // before subscribing: not reported
    const { changes, unsubscribe } = collect(store);

    await children.run('write', store.dir, 'uvm/u1', '{"by":"child"}');
    await waitFor('the child write', () => forKey(changes, 'uvm/u1').includes(2));
    await children.run('delete', store.dir, 'uvm/u1');
    await waitFor('the child delete', () => forKey(changes, 'uvm/u1').includes(null));
    await children.run('write', store.dir, 'sim/u1', '{"devices":[]}'); // a folder that did not exist
    await waitFor('a key in a new folder', () => forKey(changes, 'sim/u1').includes(1));

    await delay(2 * POLL_INTERVAL_MS); // give duplicate sources (watch + poll) time to misbehave
    expect(forKey(changes, 'uvm/u1')).toEqual([2, null]);
    expect(forKey(changes, 'sim/u1')).toEqual([1]);
    unsubscribe();
    expect(activeWatchHandles()).toBe(0);
  });

  it('reports this process’s own writes, deletes and log appends, asynchronously and in order', async () => {
    const store = StateStore.open(tempStateDir());
    const { changes, unsubscribe } = collect(store);
    for (let i = 0; i < 5; i++) store.write('host', { i });
    store.delete('host');
    store.appendLog({ time: new Date().toISOString(), uvm: null, request: {}, ok: true, ms: 0 });
    expect(changes).toEqual([]); // never inside write()
    await delay(0);
    expect(changes).toEqual([
      ...[1, 2, 3, 4, 5].map((revision) => ({ key: 'host', revision })),
      { key: 'host', revision: null },
      { key: 'log', revision: 1 },
    ]);
    await delay(2 * POLL_INTERVAL_MS);
    expect(changes).toHaveLength(7); // the watcher's later view of the same files adds nothing
    unsubscribe();
  });

  it('reports request-log appends by another process with the new last seq', async () => {
    const store = StateStore.open(tempStateDir());
    const { changes, unsubscribe } = collect(store);
    await children.run('append', store.dir, '3');
    await waitFor('the log change', () => forKey(changes, 'log').includes(3));
    expect(Math.max(...forKey(changes, 'log').map(Number))).toBe(3);
    unsubscribe();
  });

  it('never reports a revision lower than one already reported', async () => {
    const store = StateStore.open(tempStateDir());
    const { changes, unsubscribe } = collect(store);
    store.write('uvm/u1', 'one');
    const file = path.join(store.dir, 'uvm', 'u1.json');
    const revisionOne = fs.readFileSync(file);
    store.write('uvm/u1', 'two');
    await delay(0);
    fs.writeFileSync(file, revisionOne); // someone restores an older copy by hand
    await delay(3 * POLL_INTERVAL_MS);
    expect(forKey(changes, 'uvm/u1')).toEqual([1, 2]);
    unsubscribe();
  });

  it('stops every watcher and timer when the last listener leaves', async () => {
    const store = StateStore.open(tempStateDir());
    store.write('uvm/u1', 1);
    const first = collect(store);
    const second = collect(store);
    expect(activeWatchHandles()).toBeGreaterThan(0);
    first.unsubscribe();
    expect(activeWatchHandles()).toBeGreaterThan(0);
    second.unsubscribe();
    second.unsubscribe(); // twice is harmless
    expect(activeWatchHandles()).toBe(0);

    store.write('uvm/u1', 2);
    await delay(2 * POLL_INTERVAL_MS);
    expect(first.changes).toEqual([]);
    expect(second.changes).toEqual([]);

    collect(store);
    store.close(); // close() drops listeners too
    expect(activeWatchHandles()).toBe(0);
  });

  it('lets a process that unsubscribed exit on its own', async () => {
    const dir = tempStateDir();
    const child = children.start('subscribe-unsubscribe', dir, 'uvm/u1');
    const result = await Promise.race([
      child.exited,
      delay(10_000).then(() => ({ code: 'still running after 10 s', stdout: '', stderr: '' })),
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('change {"key":"uvm/u1","revision":1}');
    expect(result.stdout).toContain('unsubscribed');
  });
});
