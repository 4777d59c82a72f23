import { describe, expect, it } from 'vitest';
import { HcsError } from '../backend.js';
import { HRESULT } from '../hresult.js';
import { FakeVmCompute } from '../../../native/testing/fake-vmcompute.js';
import { formatGuid } from '../../../native/vmcompute.js';
import { createHostLayers } from './host-layers.js';

const DRIVER = { Flavour: 1, HomeDir: '' };

describe('host (Argon) layers through vmcompute.dll', () => {
  it('activate, prepare with parent descriptors, mount path, unprepare, deactivate', async () => {
    const vm = new FakeVmCompute();
    vm.guids.set('base', 'a0a1a2a3-b0b1-c0c1-d0d1-d2d3d4d5d6d7');
    vm.guids.set('app', '11111111-2222-3333-4444-555555555555');
    const layers = createHostLayers(() => vm);
    const scratch = 'C:\\ProgramData\\layers\\scratch';

    await layers.activateLayer(scratch);
    await layers.prepareLayer(scratch, ['C:\\layers\\app', 'C:\\layers\\base\\']);
    const volume = await layers.getLayerMountPath(scratch);
    await layers.unprepareLayer(scratch);
    await layers.deactivateLayer(scratch);

    expect(volume).toBe('\\\\?\\Volume{0c4a6a53-5a8b-4d8c-9e3e-0123456789ab}\\');
    expect(vm.sequence()).toEqual([
      'ActivateLayer',
      'NameToGuid',
      'NameToGuid',
      'PrepareLayer',
      'GetLayerMountPath',
      'GetLayerMountPath',
      'UnprepareLayer',
      'DeactivateLayer',
    ]);
    expect(vm.calls[0]?.args).toEqual([DRIVER, scratch]);
    // LayerID(path) = NameToGuid(basename(path)), trailing separator or not.
    expect(vm.calls[1]?.args).toEqual(['app', '<out>']);
    expect(vm.calls[2]?.args).toEqual(['base', '<out>']);
    const [, id, descriptors, count] = vm.calls[3]?.args ?? [];
    expect(id).toBe(scratch);
    expect(count).toBe(2);
    expect(
      (descriptors as { LayerId: Parameters<typeof formatGuid>[0]; Flags: number; Path: string }[]).map((d) => [
        formatGuid(d.LayerId),
        d.Flags,
        d.Path,
      ]),
    ).toEqual([
      ['11111111-2222-3333-4444-555555555555', 0, 'C:\\layers\\app'],
      ['a0a1a2a3-b0b1-c0c1-d0d1-d2d3d4d5d6d7', 0, 'C:\\layers\\base\\'],
    ]);
    // Two-call pattern: the size first (no buffer), then a buffer of that many UTF-16 units.
    expect(vm.calls[4]?.args).toEqual([DRIVER, scratch, '<out>', null]);
    expect(vm.calls[5]?.args).toEqual([DRIVER, scratch, '<out>', `<buffer ${(volume.length + 1) * 2}>`]);
    expect(vm.activated.size).toBe(0);
    expect(vm.prepared.size).toBe(0);
  });

  it('a base layer is prepared with no descriptors (NULL, 0)', async () => {
    const vm = new FakeVmCompute();
    await createHostLayers(() => vm).prepareLayer('C:\\l\\s', []);
    expect(vm.calls).toEqual([{ fn: 'PrepareLayer', args: [DRIVER, 'C:\\l\\s', null, 0] }]);
  });

  it('serialises PrepareLayer across the process (hcsshim’s prepareLayerLock)', async () => {
    const vm = new FakeVmCompute();
    let release = (): void => {};
    vm.prepareGate = new Promise<void>((resolve) => (release = resolve));
    const layers = createHostLayers(() => vm);
    const first = layers.prepareLayer('C:\\l\\one', []);
    const second = createHostLayers(() => vm).prepareLayer('C:\\l\\two', []);
    for (let i = 0; i < 20; i++) await Promise.resolve();
    expect(vm.callsOf('PrepareLayer')).toHaveLength(1);
    release();
    await Promise.all([first, second]);
    expect(vm.maxConcurrentPrepares).toBe(1);
    expect([...vm.prepared.keys()]).toEqual(['C:\\l\\one', 'C:\\l\\two']);
  });

  it('a failed prepare does not block the next one', async () => {
    const vm = new FakeVmCompute();
    vm.fail('PrepareLayer', HRESULT.E_FAIL);
    const layers = createHostLayers(() => vm);
    await expect(layers.prepareLayer('C:\\l\\one', [])).rejects.toBeInstanceOf(HcsError);
    await layers.prepareLayer('C:\\l\\two', []);
    expect([...vm.prepared.keys()]).toEqual(['C:\\l\\two']);
  });

  it('unwraps Win32 failures the way users have seen them (sharing violation on ActivateLayer)', async () => {
    const vm = new FakeVmCompute();
    vm.fail('ActivateLayer', HRESULT.ERROR_SHARING_VIOLATION);
    const error = (await createHostLayers(() => vm).activateLayer('C:\\l\\s').catch((e: unknown) => e)) as HcsError;
    expect(error).toBeInstanceOf(HcsError);
    expect(error.hresult).toBe(0x80070020);
    expect(error.message).toBe('ActivateLayer C:\\l\\s failed (ERROR_SHARING_VIOLATION, 0x80070020)');
    // The engine retries activate on these two; they must arrive as the HRESULT itself.
    vm.fail('GetLayerMountPath', HRESULT.ERROR_NOT_READY);
    const notReady = (await createHostLayers(() => vm).getLayerMountPath('C:\\l\\s').catch((e: unknown) => e)) as HcsError;
    expect(notReady.hresult).toBe(HRESULT.ERROR_NOT_READY);
  });

  it('nameToGuid is the real NameToGuid, formatted lower case', async () => {
    const vm = new FakeVmCompute();
    vm.guids.set('layer1', 'ABCDEF01-2345-6789-ABCD-EF0123456789');
    expect(await createHostLayers(() => vm).nameToGuid('layer1')).toBe('abcdef01-2345-6789-abcd-ef0123456789');
  });

  it('vmcompute.dll is not touched until a host layer call needs it', () => {
    let loads = 0;
    createHostLayers(() => {
      loads++;
      return new FakeVmCompute();
    });
    expect(loads).toBe(0);
  });
});
