/**
 * The service over the real store and sim: per-UVM serialisation (B8, B9), host (Argon) mounts
 * and B13, create/remove lifecycle, and change events.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { HcsError, type HcsBackend } from '../hcs/backend.js';
import { HRESULT } from '../hcs/hresult.js';
import { createSimBackend } from '../hcs/sim/index.js';
import type { ModifySettingRequest } from '../hcs/schema.js';
import { createLayerService } from './service.js';
import type { StateChange } from './service-api.js';
import { storeSimPersistence } from './sim-persistence.js';
import { makeLayer, makeScratch } from './testing/fixtures.js';
import { openHarness, type Harness } from './testing/harness.js';

let h: Harness;
afterEach(async () => h?.close());

/** A backend whose requests to one UVM wait at a gate, as a slow HCS call would. */
function gated(inner: HcsBackend, slowUvm: string) {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const order: string[] = [];
  const backend: HcsBackend = Object.create(inner) as HcsBackend;
  backend.modify = async (id: string, request: ModifySettingRequest) => {
    order.push(`${id} start`);
    if (id === slowUvm) await gate;
    await inner.modify(id, request);
    order.push(`${id} done`);
  };
  return { backend, order, open };
}

describe('concurrency', () => {
  it('serialises operations on one UVM and never blocks another UVM (B8, B9)', async () => {
    h = openHarness();
    await h.service.createUvm({ id: 'slow', os: 'linux' });
    await h.service.createUvm({ id: 'fast', os: 'linux' });
    const { backend, order, open } = gated(h.sim, 'slow');
    const service = createLayerService(h.store, backend);
    const base = makeLayer(h.root, 'base');
    const first = service.mount({
      uvm: 'slow',
      guestRoot: '/run/gcs/c/1',
      layers: [base],
      scratch: makeScratch(h.root, 's1'),
    });
    const second = service.mount({
      uvm: 'slow',
      guestRoot: '/run/gcs/c/2',
      layers: [base],
      scratch: makeScratch(h.root, 's2'),
    });
    await service.mount({
      uvm: 'fast',
      guestRoot: '/run/gcs/c/1',
      layers: [base],
      scratch: makeScratch(h.root, 's3'),
    });
    expect(order.filter((o) => o.startsWith('slow'))).toEqual(['slow start']);
    open();
    await Promise.all([first, second]);
    const view = await service.showUvm('slow');
    expect(view.vpmem).toEqual([expect.objectContaining({ device: 0, refCount: 2 })]);
    // The second mount's requests began only after the first mount's had all finished.
    const slow = order.filter((o) => o.startsWith('slow'));
    expect(slow.slice(0, 6)).toEqual([
      'slow start',
      'slow done',
      'slow start',
      'slow done',
      'slow start',
      'slow done',
    ]);
  });
});

describe('host (Argon) mounts', () => {
  it('activates, prepares and returns the volume; unmount unprepares and deactivates', async () => {
    h = openHarness();
    const base = makeLayer(h.root, 'base');
    const scratch = makeScratch(h.root, 'scratch');
    const { rootfs } = await h.service.mount({ guestRoot: '/c/argon', layers: [base], scratch });
    expect(rootfs).toMatch(/^\\\\\?\\Volume\{.*\}\\$/);
    expect(Object.values(h.sim.inspectHost().layers)).toEqual([
      expect.objectContaining({ prepared: true, parents: [base] }),
    ]);
    const log = await h.service.log();
    expect(log.map((e) => (e.request as { Op: string }).Op)).toEqual([
      'ActivateLayer',
      'PrepareLayer',
      'GetLayerMountPath',
    ]);
    expect(log.every((e) => e.uvm === null)).toBe(true);
    await h.service.unmount({ guestRoot: '/c/argon' });
    expect(h.sim.inspectHost().layers).toEqual({});
    expect(await h.service.containers()).toEqual([]);
  });

  it('retries activate + prepare on ERROR_NOT_READY, as hcsshim does for RS5 loopback VHDs', async () => {
    h = openHarness();
    let failures = 2;
    const flaky: HcsBackend = Object.create(h.sim) as HcsBackend;
    const layers = Object.create(h.sim.hostLayers) as HcsBackend['hostLayers'];
    layers.activateLayer = (p: string) =>
      failures-- > 0
        ? Promise.reject(new HcsError(HRESULT.ERROR_NOT_READY, 'The device is not ready.'))
        : h.sim.hostLayers.activateLayer(p);
    Object.defineProperty(flaky, 'hostLayers', { value: layers });
    const service = createLayerService(h.store, flaky);
    const scratch = makeScratch(h.root, 'scratch');
    await service.mount({ guestRoot: '/c/argon', layers: [makeLayer(h.root, 'base')], scratch });
    const ops = (await h.service.log()).map(
      (e) => `${(e.request as { Op: string }).Op} ${e.ok ? 'ok' : 'failed'}`,
    );
    expect(ops).toEqual([
      'ActivateLayer failed',
      'ActivateLayer failed',
      'ActivateLayer ok',
      'PrepareLayer ok',
      'GetLayerMountPath ok',
    ]);
  });

  it('does not retry other failures', async () => {
    h = openHarness();
    const failing: HcsBackend = Object.create(h.sim) as HcsBackend;
    const layers = Object.create(h.sim.hostLayers) as HcsBackend['hostLayers'];
    layers.activateLayer = () =>
      Promise.reject(new HcsError(HRESULT.ERROR_SHARING_VIOLATION, 'in use'));
    Object.defineProperty(failing, 'hostLayers', { value: layers });
    const scratch = makeScratch(h.root, 'scratch');
    await expect(
      createLayerService(h.store, failing).mount({
        guestRoot: '/c/argon',
        layers: [makeLayer(h.root, 'base')],
        scratch,
      }),
    ).rejects.toMatchObject({ hresult: HRESULT.ERROR_SHARING_VIOLATION });
    expect(await h.service.log()).toHaveLength(1);
  });

  it('still tries to deactivate when unprepare fails, and reports both (B13)', async () => {
    h = openHarness();
    const scratch = makeScratch(h.root, 'scratch');
    await h.service.mount({ guestRoot: '/c/argon', layers: [makeLayer(h.root, 'base')], scratch });
    const faulty = createLayerService(
      h.store,
      createSimBackend({ persistence: storeSimPersistence(h.store), failAt: 1 }),
    );
    const error = await faulty.unmount({ guestRoot: '/c/argon' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'UNMOUNT_FAILED' });
    const causes = (error as { causes: { message: string }[] }).causes.map((c) => c.message);
    expect(causes).toHaveLength(2);
    expect(causes[0]).toContain('UnprepareLayer');
    expect(causes[1]).toContain('DeactivateLayer');
    // Nothing was lost: the ledger still has the container and a retry finishes the job.
    expect(await h.service.containers()).toHaveLength(1);
    await h.service.unmount({ guestRoot: '/c/argon' });
    expect(h.sim.inspectHost().layers).toEqual({});
  });
});

describe('UVM lifecycle', () => {
  it('creates, lists and removes; --force removes a UVM with containers', async () => {
    h = openHarness();
    await h.service.createUvm({ id: 'u1', os: 'linux' });
    await h.service.mount({
      uvm: 'u1',
      guestRoot: '/run/gcs/c/a',
      layers: [makeLayer(h.root, 'b')],
      scratch: makeScratch(h.root, 's'),
    });
    await expect(h.service.removeUvm({ id: 'u1' })).rejects.toMatchObject({ code: 'UVM_BUSY' });
    await h.service.removeUvm({ id: 'u1', force: true });
    expect(await h.service.listUvms()).toEqual([]);
    expect(h.sim.inspect('u1')).toBeUndefined();
  });

  it('rolls back a create whose start fails', async () => {
    h = openHarness();
    const failingStart: HcsBackend = Object.create(h.sim) as HcsBackend;
    failingStart.startUtilityVm = () =>
      Promise.reject(new HcsError(HRESULT.HCS_E_INVALID_STATE, 'cannot start'));
    const service = createLayerService(h.store, failingStart);
    await expect(service.createUvm({ id: 'u1', os: 'linux' })).rejects.toMatchObject({
      code: 'HCS_ERROR',
    });
    expect(await h.service.listUvms()).toEqual([]);
    expect(h.sim.inspect('u1')).toBeUndefined();
    expect(h.store.listIntents()).toEqual([]);
  });
});

describe('change events', () => {
  it('reports each UVM change with a growing revision, and log appends', async () => {
    h = openHarness();
    const changes: StateChange[] = [];
    const stop = h.service.subscribe((c) => changes.push(c));
    await h.service.createUvm({ id: 'u1', os: 'linux' });
    await h.service.mount({
      uvm: 'u1',
      guestRoot: '/run/gcs/c/a',
      layers: [makeLayer(h.root, 'b')],
      scratch: makeScratch(h.root, 's'),
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    stop();
    const revisions = changes
      .filter((c) => c.kind === 'uvm')
      .map((c) => (c.kind === 'uvm' ? c.revision : 0));
    expect(revisions).toEqual([1, 2]);
    expect(changes.some((c) => c.kind === 'log')).toBe(true);
    expect(changes.some((c) => c.kind === 'uvm' && c.id !== 'u1')).toBe(false);
  });
});

describe('compute systems uvm-layers did not create (hcs backend)', () => {
  it('lists them as external, with no device counts', async () => {
    h = openHarness();
    await h.service.createUvm({ id: 'mine', os: 'linux' });
    const hcs: HcsBackend = Object.create(h.sim) as HcsBackend;
    Object.defineProperty(hcs, 'name', { value: 'hcs' });
    hcs.enumerate = () =>
      Promise.resolve([
        {
          id: 'mine',
          systemType: 'VirtualMachine',
          state: 'Running',
          owner: 'uvm-layers',
          runtimeOsType: 'Linux',
        },
        {
          id: 'pod1@vm',
          systemType: 'VirtualMachine',
          state: 'Running',
          owner: 'containerd-shim-runhcs-v1.exe',
          runtimeOsType: 'Windows',
        },
      ]);
    const list = await createLayerService(h.store, hcs).listUvms();
    expect(list.map((u) => [u.id, u.os, u.external ?? null])).toEqual([
      ['mine', 'linux', null],
      [
        'pod1@vm',
        'windows',
        { systemType: 'VirtualMachine', owner: 'containerd-shim-runhcs-v1.exe' },
      ],
    ]);
  });
});
