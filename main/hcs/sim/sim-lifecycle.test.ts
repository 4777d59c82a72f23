/** Lifecycle, enumeration, grants, persistence across instances, and fault injection. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UvmLayersError } from '../../engine/errors.js';
import { HRESULT } from '../hresult.js';
import { createSimBackend } from './sim-backend.js';
import {
  docs,
  expectRefused,
  LCOW,
  makeFiles,
  runningUvm,
  sandbox,
  vhd,
  WCOW,
  type Files,
} from './sim-fixtures.js';
import { createMemoryPersistence } from './sim-persistence.js';

let f: Files;
beforeAll(() => {
  f = makeFiles();
});
afterAll(() => f.cleanup());

describe('sim lifecycle', () => {
  it('creates, starts, enumerates and terminates systems', async () => {
    const backend = createSimBackend({ persistence: createMemoryPersistence() });
    await backend.createUtilityVm(LCOW);
    await backend.createUtilityVm(WCOW);
    expect(backend.inspect('u1')?.state).toBe('Created');
    await backend.startUtilityVm('u1');
    expect(await backend.enumerate()).toEqual([
      {
        id: 'u1',
        systemType: 'VirtualMachine',
        state: 'Running',
        owner: 'uvm-layers',
        runtimeOsType: 'Linux',
      },
      {
        id: 'w1',
        systemType: 'VirtualMachine',
        state: 'Created',
        owner: 'uvm-layers',
        runtimeOsType: 'Windows',
      },
    ]);
    expect(backend.inspect('u1')?.limits).toEqual({
      scsiControllers: 1,
      vpmemCount: 4,
      vpmemMaxSizeBytes: 16384,
      physicallyBacked: false,
      vpmemMultiMapping: false,
    });

    await backend.modify('u1', docs.vpmemAdd(0, vhd(f.layerA)));
    await backend.terminateUtilityVm('u1');
    expect(backend.inspect('u1')).toBeUndefined();
    expect((await backend.enumerate()).map((s) => s.id)).toEqual(['w1']);
    // A new system with the same id starts empty: the devices went with the old one.
    await backend.createUtilityVm(LCOW);
    expect(backend.inspect('u1')?.vpmem).toEqual({});
  });

  it('refuses duplicate ids, unknown ids, a second start and invalid configs', async () => {
    const { backend } = await runningUvm(LCOW);
    await expectRefused(backend.createUtilityVm(LCOW), HRESULT.ERROR_ALREADY_EXISTS, [
      'utility VM u1',
    ]);
    await expectRefused(backend.startUtilityVm('u1'), HRESULT.HCS_E_INVALID_STATE, [
      'utility VM u1',
      'Running',
    ]);
    await expectRefused(backend.startUtilityVm('zz'), HRESULT.HCS_E_SYSTEM_NOT_FOUND, [
      'utility VM zz',
    ]);
    await expectRefused(backend.terminateUtilityVm('zz'), HRESULT.HCS_E_SYSTEM_NOT_FOUND, ['zz']);
    await expectRefused(
      backend.createUtilityVm({ ...WCOW, scsiControllers: 2 }),
      HRESULT.E_INVALIDARG,
      ['utility VM w1', 'exactly 1 SCSI controller'],
    );
    await expectRefused(
      backend.createUtilityVm({ ...LCOW, id: 'u2', vpmemCount: 129 }),
      HRESULT.E_INVALIDARG,
      ['utility VM u2', '128'],
    );
    await expectRefused(backend.createUtilityVm({ ...LCOW, id: 'a/b' }), HRESULT.E_INVALIDARG, [
      '"a/b"',
    ]);
    expect((await backend.enumerate()).map((s) => s.id)).toEqual(['u1']);
  });

  it('records VM access grants once, for existing files only', async () => {
    const { backend, id } = await runningUvm(LCOW);
    await backend.grantVmAccess(id, sandbox(f.scratch));
    await backend.grantVmAccess(id, sandbox(f.linkedScratch));
    expect(backend.inspect(id)?.grants).toEqual([sandbox(f.scratch)]);
    await expectRefused(backend.grantVmAccess(id, f.missing), HRESULT.ERROR_FILE_NOT_FOUND, [
      f.missing,
      'utility VM u1',
    ]);
    await expectRefused(
      backend.grantVmAccess('zz', sandbox(f.scratch)),
      HRESULT.HCS_E_SYSTEM_NOT_FOUND,
      ['zz'],
    );
  });

  it('rejects every call after close', async () => {
    const { backend } = await runningUvm(LCOW);
    await backend.close();
    await expect(backend.enumerate()).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
  });
});

describe('sim persistence', () => {
  it('lets a second instance over the same persistence see and change the first one’s devices', async () => {
    const persistence = createMemoryPersistence();
    const first = createSimBackend({ persistence });
    const second = createSimBackend({ persistence });
    await first.createUtilityVm(LCOW);
    await first.startUtilityVm('u1');
    await first.modify('u1', docs.vpmemAdd(0, vhd(f.layerA)));

    expect(second.inspect('u1')?.vpmem['0']?.hostPath).toBe(vhd(f.layerA));
    await expectRefused(
      second.modify('u1', docs.vpmemAdd(0, vhd(f.layerB))),
      HRESULT.ERROR_ALREADY_EXISTS,
      ['vPMEM device 0', vhd(f.layerA)],
    );
    await second.modify('u1', docs.vpmemAdd(1, vhd(f.layerB)));
    // The first instance loads state at every call, so it sees the second one's device.
    await first.modify('u1', docs.vpmemRemove(1));
    expect(Object.keys(second.inspect('u1')?.vpmem ?? {})).toEqual(['0']);
  });

  it('keeps state as plain JSON', async () => {
    const { backend, persistence, id } = await runningUvm(WCOW);
    await backend.modify(id, docs.vsmbAdd('s1', f.layerA));
    const state = persistence.load(id);
    expect(JSON.parse(JSON.stringify(state))).toEqual(state);
    expect(backend.inspect(id)).toEqual(state);
  });

  it('refuses state written by a newer version', async () => {
    const { backend, persistence, id } = await runningUvm(LCOW);
    const state = persistence.load(id);
    if (!state) throw new Error('no state');
    persistence.save(id, { ...state, version: 99 });
    await expect(backend.modify(id, docs.vpmemAdd(0, vhd(f.layerA)))).rejects.toMatchObject({
      code: 'STORE_VERSION',
    });
  });

  it('returns copies from inspect', async () => {
    const { backend, id } = await runningUvm(LCOW);
    const state = backend.inspect(id);
    if (!state) throw new Error('no state');
    state.vpmem['0'] = { hostPath: '/x' };
    expect(backend.inspect(id)?.vpmem).toEqual({});
  });
});

describe('sim fault injection', () => {
  it('fails the N-th counted request and changes nothing', async () => {
    const { backend, id } = await runningUvm(LCOW, { failAt: 3 });
    expect(backend.requestCount).toBe(0); // create and start are not counted
    await backend.modify(id, docs.vpmemAdd(0, vhd(f.layerA)));
    await expect(backend.hostLayers.nameToGuid('x')).resolves.toMatch(/^[0-9a-f-]{36}$/);
    await backend.grantVmAccess(id, sandbox(f.scratch));
    await expectRefused(
      backend.modify(id, docs.vpmemAdd(0, vhd(f.layerB))),
      HRESULT.ERROR_ALREADY_EXISTS,
      [],
    );
    expect(backend.requestCount).toBe(2); // refused requests count too

    const before = backend.inspect(id);
    const error = await expectRefused(
      backend.modify(id, docs.vpmemAdd(1, vhd(f.layerB))),
      HRESULT.E_FAIL,
      [],
    );
    expect(error.message).toBe(
      'simulated HCS failure: request 3 failed because of --sim-fail-at 3 (E_FAIL, 0x80004005)',
    );
    expect(backend.inspect(id)).toEqual(before);
    expect(backend.requestCount).toBe(3);

    // Only the N-th fails.
    await backend.modify(id, docs.vpmemAdd(1, vhd(f.layerB)));
    expect(backend.requestCount).toBe(4);
  });

  it('counts wclayer calls and fails them the same way', async () => {
    const backend = createSimBackend({ persistence: createMemoryPersistence(), failAt: 2 });
    await backend.hostLayers.activateLayer(f.scratch);
    await expectRefused(backend.hostLayers.prepareLayer(f.scratch, [f.layerA]), HRESULT.E_FAIL, [
      'request 2 failed because of --sim-fail-at 2',
    ]);
    expect(backend.inspectHost().layers[f.scratch]?.prepared).toBe(false);
    expect(backend.requestCount).toBe(2);
  });

  it('counts per instance and refuses a non-positive failAt', () => {
    expect(() => createSimBackend({ persistence: createMemoryPersistence(), failAt: 0 })).toThrow(
      UvmLayersError,
    );
  });
});
