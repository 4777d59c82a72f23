// @vitest-environment jsdom
import { afterEach, describe, expect, it } from 'vitest';
import { EVENTS, type ChangeEvent, type UvmLayersApi } from '../../../main/ipc/api.js';
import { createApiClient, type ApiTransport } from '../../../main/ipc/client.js';
import { createApiHost } from '../../../main/ipc/host.js';
import { MemoryLayerService } from '../../../main/ipc/testing/memory-service.js';
import { pipeTransport } from '../../../main/ipc/testing/pipe.js';
import { createReplicaStore } from './replica.js';
import { createSync, type Sync } from './sync.js';

/** A transport that can drop or inject change events, and counts calls per channel. */
function tap(inner: ApiTransport) {
  const calls: string[] = [];
  let drop = false;
  const changeListeners = new Set<(payload: unknown) => void>();
  const transport: ApiTransport = {
    invoke(channel, payload) {
      calls.push(channel);
      return inner.invoke(channel, payload);
    },
    on(channel, listener) {
      if (channel !== EVENTS.change) return inner.on(channel, listener);
      changeListeners.add(listener);
      const stop = inner.on(channel, (payload) => {
        if (!drop) listener(payload);
      });
      return () => {
        changeListeners.delete(listener);
        stop();
      };
    },
  };
  return {
    transport,
    calls,
    setDrop: (value: boolean) => (drop = value),
    inject: (event: ChangeEvent) => changeListeners.forEach((l) => l(event)),
  };
}

describe('replica sync', () => {
  let sync: Sync | undefined;
  afterEach(() => sync?.stop());

  async function setup(options: { backend?: 'sim' | 'qemu'; verifyDelayMs?: number } = {}) {
    const service = new MemoryLayerService(
      options.backend === undefined ? {} : { backend: options.backend },
    );
    const host = createApiHost(service, { host: 'web', version: 't' });
    const t = tap(pipeTransport(host));
    const api: UvmLayersApi = createApiClient(t.transport);
    const store = createReplicaStore();
    sync = createSync(
      api,
      store,
      options.verifyDelayMs === undefined ? {} : { verifyDelayMs: options.verifyDelayMs },
    );
    await sync.start();
    return { service, host, api, store, sync, ...t };
  }

  it('hydrates from the snapshot', async () => {
    const { store, service } = await setup();
    expect(store.getState().phase).toBe('ready');
    await service.createUvm({ id: 'u1', os: 'linux' });
    await sync?.idle();
    expect(store.getState().uvms.keys).toEqual(['u1']);
  });

  it('applies a change by another process to the watched UVM only', async () => {
    const { store, service, calls } = await setup();
    await service.createUvm({ id: 'u1', os: 'linux' });
    await service.createUvm({ id: 'u2', os: 'windows' });
    sync?.watchUvm('u1');
    await sync?.idle();
    expect(store.getState().views.u1?.view.state).toBe('Running');
    calls.length = 0;
    service.mutate('u1', (v) => (v.state = 'Paused'));
    service.mutate('u2', (v) => (v.state = 'Paused'));
    await sync?.idle();
    expect(store.getState().views.u1?.view.state).toBe('Paused');
    expect(store.getState().views.u2).toBeUndefined();
    expect(calls.filter((c) => c === 'uvm:show')).toHaveLength(1);
  });

  it('coalesces a burst of changes into at most two fetches of the view', async () => {
    const { service, calls } = await setup();
    await service.createUvm({ id: 'u1', os: 'linux' });
    sync?.watchUvm('u1');
    await sync?.idle();
    calls.length = 0;
    for (let i = 0; i < 20; i += 1) service.mutate('u1', (v) => (v.state = `S${i}`));
    await sync?.idle();
    expect(calls.filter((c) => c === 'uvm:show').length).toBeLessThanOrEqual(2);
  });

  it('refetches the snapshot when it sees a gap in revisions', async () => {
    const { store, service, calls, setDrop } = await setup();
    setDrop(true);
    await service.createUvm({ id: 'missed', os: 'linux' });
    setDrop(false);
    expect(store.getState().uvms.keys).toEqual([]);
    calls.length = 0;
    service.mutate('missed', (v) => (v.state = 'Paused'));
    await sync?.idle();
    expect(calls).toContain('state:snapshot');
    expect(store.getState().uvms.keys).toEqual(['missed']);
    expect(store.getState().revision).toBeGreaterThan(0);
  });

  it('resyncs on an event from another epoch (a reconnect or restarted server)', async () => {
    const { calls, inject, store } = await setup();
    calls.length = 0;
    inject({ epoch: 'other', revision: 1, change: { kind: 'host', revision: null } });
    await sync?.idle();
    expect(calls).toContain('state:snapshot');
    expect(store.getState().epoch).not.toBe('other');
  });

  it('ignores a stale duplicate event', async () => {
    const { calls, inject, store } = await setup();
    calls.length = 0;
    inject({
      epoch: store.getState().epoch,
      revision: store.getState().revision,
      change: { kind: 'host', revision: null },
    });
    await sync?.idle();
    expect(calls).toEqual([]);
  });

  it('keeps a view error when the watched UVM disappears', async () => {
    const { store, service } = await setup();
    await service.createUvm({ id: 'u1', os: 'linux' });
    sync?.watchUvm('u1');
    await sync?.idle();
    await service.removeUvm({ id: 'u1' });
    await sync?.idle();
    expect(store.getState().views.u1).toBeUndefined();
    expect(store.getState().viewErrors.u1?.code).toBe('UVM_NOT_FOUND');
  });

  it('follows the request log', async () => {
    const { store, service } = await setup();
    await service.createUvm({ id: 'u1', os: 'linux' });
    await sync?.idle();
    expect(store.getState().log.length).toBeGreaterThan(0);
  });

  it('never reads a VM back on a backend that cannot (sim)', async () => {
    const { service, calls } = await setup();
    await service.createUvm({ id: 'u1', os: 'linux' });
    sync?.watchUvm('u1');
    service.mutate('u1', (v) => (v.state = 'Paused'));
    sync?.checkUvm('u1');
    await sync?.idle();
    expect(calls).not.toContain('uvm:verify');
  });

  it('qemu: reads a watched UVM back when watched, once after a burst of changes settles, and on request', async () => {
    const { service, calls, store } = await setup({ backend: 'qemu', verifyDelayMs: 40 });
    await service.createUvm({ id: 'u1', os: 'linux' });
    await service.createUvm({ id: 'u2', os: 'linux' });
    sync?.watchUvm('u1');
    await sync?.idle();
    const verifies = () => calls.filter((c) => c === 'uvm:verify').length;
    expect(verifies()).toBe(1);
    expect(store.getState().verify.u1).toMatchObject({
      checking: false,
      error: null,
      report: { uvm: 'u1', mismatches: [], parkedVpmem: [] },
    });

    for (let i = 0; i < 10; i += 1) service.mutate('u1', (v) => (v.state = `S${i % 2}`));
    service.mutate('u2', (v) => (v.state = 'Paused'));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(verifies()).toBe(1); // still settling
    await sync?.idle();
    expect(verifies()).toBe(2); // one read-back for the burst; none for the unwatched u2
    expect(store.getState().verify.u2).toBeUndefined();
    const before = store.getState().verify.u1?.report;
    expect(before?.state).toBe('S1');

    sync?.checkUvm('u1');
    await sync?.idle();
    expect(verifies()).toBe(3);
    // Nothing differs: the replica keeps the same report object.
    expect(store.getState().verify.u1?.report).toBe(before);

    await service.removeUvm({ id: 'u1' });
    await sync?.idle();
    expect(store.getState().verify.u1?.error?.code).toBe('UVM_NOT_FOUND');
  });
});
