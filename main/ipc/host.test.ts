import { afterEach, describe, expect, it } from 'vitest';
import type { OperationStep } from '../engine/service-api.js';
import { API, type ChangeEvent, type UvmLayersApi } from './api.js';
import { createApiClient } from './client.js';
import { createApiHost, type ApiHost } from './host.js';
import { unwrap } from './result.js';
import { MemoryLayerService } from './testing/memory-service.js';
import { pipeTransport as pipe } from './testing/pipe.js';

describe('API host and client', () => {
  let service: MemoryLayerService;
  let host: ApiHost;
  let api: UvmLayersApi;
  const setup = (failAt?: number): void => {
    service = new MemoryLayerService(failAt === undefined ? {} : { failAt });
    host = createApiHost(service, { host: 'web', version: '1.2.3' });
    api = createApiClient(pipe(host));
  };
  afterEach(() => host.close());

  it('reports who hosts it', async () => {
    setup();
    expect(unwrap(await api.info())).toEqual({
      host: 'web',
      backend: 'sim',
      stateDir: '/memory',
      canPickFolders: false,
      version: '1.2.3',
    });
  });

  it('creates, lists and shows a UVM through the envelope', async () => {
    setup();
    const created = unwrap(await api.createUvm({ id: 'u1', os: 'linux' }));
    expect(created.id).toBe('u1');
    expect(unwrap(await api.listUvms()).map((u) => u.id)).toEqual(['u1']);
    expect(unwrap(await api.showUvm({ id: 'u1' })).os).toBe('linux');
  });

  it('keeps error codes across the boundary', async () => {
    setup();
    const result = await api.showUvm({ id: 'missing' });
    expect(result).toEqual({
      ok: false,
      error: { code: 'UVM_NOT_FOUND', message: 'uvm missing not found' },
    });
  });

  it('refuses a malformed payload before the service sees it', async () => {
    setup();
    const bad = await host.call('mount', {
      args: { uvm: 'u1', guestRoot: '/x', layers: 'no', scratch: '/s' },
    });
    expect(bad).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } });
    expect(bad.ok ? '' : bad.error.message).toMatch(/args\.layers/);
    expect(await host.call('showUvm', { args: { id: 'u1' }, extra: 1 })).toMatchObject({
      ok: false,
      error: { code: 'INVALID_ARGUMENT' },
    });
    expect(await host.call('constructor', {})).toMatchObject({
      ok: false,
      error: { code: 'INVALID_ARGUMENT' },
    });
    expect(await host.call('listUvms', 'nope')).toMatchObject({
      ok: false,
      error: { code: 'INVALID_ARGUMENT' },
    });
    expect(await host.call('showUvm', { args: {}, taskId: '../../x' })).toMatchObject({
      ok: false,
      error: { code: 'INVALID_ARGUMENT' },
    });
  });

  it('streams mount progress to the caller, and the rollback of a fault with the HRESULT', async () => {
    setup(2);
    unwrap(await api.createUvm({ id: 'u1', os: 'linux' }));
    const steps: OperationStep[] = [];
    const result = await api.mount(
      { uvm: 'u1', guestRoot: '/run/gcs/c/1', layers: ['/l/a', '/l/b'], scratch: '/s' },
      (s) => steps.push(s),
    );
    expect(result).toMatchObject({
      ok: false,
      error: { code: 'HCS_ERROR', hresult: '0x80004005' },
    });
    const finals = steps.filter((s) => s.status !== 'running');
    expect(finals.map((s) => [s.status, s.rollback])).toEqual([
      ['done', false],
      ['failed', false],
      ['done', true],
    ]);
    expect(unwrap(await api.showUvm({ id: 'u1' })).vpmem).toEqual([]);
  });

  it('numbers change events and announces its own mutations at once', async () => {
    setup();
    const events: ChangeEvent[] = [];
    const stop = api.onChange((e) => events.push(e));
    const snap = unwrap(await api.snapshot());
    unwrap(await api.createUvm({ id: 'u1', os: 'windows' }));
    expect(events.length).toBeGreaterThan(0);
    expect(events.map((e) => e.revision)).toEqual(events.map((_, i) => snap.revision + i + 1));
    expect(events.every((e) => e.epoch === snap.epoch)).toBe(true);
    expect(events.some((e) => e.change.kind === 'uvm' && e.change.id === 'u1')).toBe(true);
    stop();
    const count = events.length;
    service.mutate('u1', (v) => (v.state = 'Stopped'));
    expect(events.length).toBe(count);
  });

  it('offers folder dialogs only when the embedding process provides them', async () => {
    setup();
    expect(await api.pickFolders({ multiple: true })).toMatchObject({
      ok: false,
      error: { code: 'NOT_SUPPORTED' },
    });
    const withDialogs = createApiHost(service, {
      host: 'electron',
      version: '0',
      pickFolders: () => Promise.resolve(['/a']),
    });
    expect(await withDialogs.call('pickFolders', { args: { multiple: false } })).toEqual({
      ok: true,
      value: ['/a'],
    });
    withDialogs.close();
  });

  it('files and read-back: refused and null on a sim-like service', async () => {
    setup();
    unwrap(await api.createUvm({ id: 'u1', os: 'linux' }));
    expect(await api.files({ uvm: 'u1', guestRoot: '/x' })).toMatchObject({
      ok: false,
      error: { code: 'NOT_SUPPORTED' },
    });
    expect(await api.verifyUvm({ id: 'u1' })).toEqual({ ok: true, value: null });
  });

  it('files and read-back on a qemu-like service: entries with their layer, parked vPMEM', async () => {
    service = new MemoryLayerService({ backend: 'qemu' });
    host = createApiHost(service, { host: 'web', version: '0' });
    api = createApiClient(pipe(host));
    expect(unwrap(await api.info()).backend).toBe('qemu');
    unwrap(await api.createUvm({ id: 'q1', os: 'linux' }));
    unwrap(
      await api.mount({
        uvm: 'q1',
        guestRoot: '/run/gcs/c/1',
        layers: ['/l/a', '/l/b'],
        scratch: '/s',
      }),
    );
    const root = unwrap(await api.files({ uvm: 'q1', guestRoot: '/run/gcs/c/1' }));
    expect(root.find((e) => e.name === 'bin')).toMatchObject({ type: 'dir', origin: '/l/a' });
    expect(root.find((e) => e.name === 'opt')).toMatchObject({ whiteout: true, origin: '/l/b' });
    const etc = unwrap(await api.files({ uvm: 'q1', guestRoot: '/run/gcs/c/1', path: '/etc/' }));
    expect(etc.find((e) => e.name === 'hostname')?.origin).toBe('scratch');
    expect(await api.files({ uvm: 'q1', guestRoot: '/run/gcs/c/1', path: '../x' })).toMatchObject({
      ok: false,
      error: { code: 'INVALID_ARGUMENT' },
    });
    expect(await api.files({ uvm: 'q1', guestRoot: '/run/gcs/c/1', path: 'nope' })).toMatchObject({
      ok: false,
      error: { code: 'HCS_ERROR', hresult: '0x80070003' },
    });
    expect(await api.files({ uvm: 'q1', guestRoot: '/nope' })).toMatchObject({
      ok: false,
      error: { code: 'CONTAINER_NOT_FOUND' },
    });
    expect(await host.call('files', { args: { uvm: 'q1', guestRoot: '/r', x: 1 } })).toMatchObject({
      ok: false,
      error: { code: 'INVALID_ARGUMENT' },
    });

    expect(unwrap(await api.verifyUvm({ id: 'q1' }))).toEqual({
      uvm: 'q1',
      state: 'Running',
      mismatches: [],
      parkedVpmem: [],
    });
    unwrap(await api.unmount({ uvm: 'q1', guestRoot: '/run/gcs/c/1' }));
    const report = unwrap(await api.verifyUvm({ id: 'q1' }));
    expect(report?.parkedVpmem).toEqual([
      { device: 0, hostPath: '/l/a/layer.vhd', sizeBytes: 1024 },
      { device: 1, hostPath: '/l/b/layer.vhd', sizeBytes: 1024 },
    ]);
    expect(await api.verifyUvm({ id: 'gone' })).toMatchObject({
      ok: false,
      error: { code: 'UVM_NOT_FOUND' },
    });
  });

  it('every table method is callable through the client', () => {
    setup();
    for (const name of Object.keys(API))
      expect(typeof (api as unknown as Record<string, unknown>)[name]).toBe('function');
  });

  it('a failed transport becomes an error envelope, not a throw', async () => {
    const broken = createApiClient({
      invoke: () => Promise.reject(new Error('socket closed')),
      on: () => () => undefined,
    });
    expect(await broken.listUvms()).toEqual({
      ok: false,
      error: { code: 'INTERNAL', message: 'uvm:list failed: socket closed' },
    });
    const garbage = createApiClient({
      invoke: () => Promise.resolve(42),
      on: () => () => undefined,
    });
    expect(await garbage.listUvms()).toMatchObject({ ok: false, error: { code: 'INTERNAL' } });
  });
});
