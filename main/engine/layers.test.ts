/**
 * The documents the engine sends, exactly as HCS-SPEC gives them, for each placement: LCOW on
 * vPMEM, SCSI fallback, physically backed, multi-mapping, WCOW over VSMB, shared scratch; and
 * unmount from the ledger with each operation mask.
 */
import * as path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import type { UvmOs } from '../hcs/backend.js';
import {
  isFullyReleased,
  mountContainerLayers,
  unmountContainerLayers,
  unmountMask,
} from './layers.js';
import {
  makeLayer,
  makeScratch,
  RecordingSender,
  tempDir,
  expectCode,
} from './testing/fixtures.js';
import { newUvmRecord, type UvmRecord } from './uvm/record.js';
import { UtilityVm } from './uvm/utility-vm.js';
import type { UvmOptions } from './views.js';

const GUID = (name: string): Promise<string> => Promise.resolve(`guid-of-${name}`);
const VSMB = '\\\\?\\VMSMB\\VSMB-{dcc079ae-60ba-4d07-847c-3493609c0870}\\';

function vm(os: UvmOs, options: Partial<UvmOptions> = {}, failAt = 0) {
  const record = newUvmRecord('u1', os, {
    vpmemCount: 64,
    vpmemMaxSizeBytes: 4 * 1024 ** 3,
    scsiControllers: 1,
    physicallyBacked: false,
    vpmemMultiMapping: false,
    ...options,
  });
  const sender = new RecordingSender(failAt);
  return { record, sender, uvm: new UtilityVm(record, sender) };
}

let root: string;
beforeEach(() => {
  root = tempDir();
});

describe('LCOW mount documents', () => {
  it('puts layers on vPMEM devices, the scratch on SCSI 0:0, then combines', async () => {
    const { uvm, sender, record } = vm('linux');
    const base = makeLayer(root, 'base');
    const app = makeLayer(root, 'app');
    const scratch = makeScratch(root, 'scratch');
    const c = await mountContainerLayers(uvm, [base, app], scratch, '/run/gcs/c/a', GUID);
    expect(sender.requests).toEqual([
      {
        ResourcePath: 'VirtualMachine/Devices/VirtualPMem/Devices/0',
        RequestType: 'Add',
        Settings: { HostPath: path.join(base, 'layer.vhd'), ReadOnly: true, ImageFormat: 'Vhd1' },
        GuestRequest: {
          ResourceType: 'VPMemDevice',
          RequestType: 'Add',
          Settings: { MountPath: '/run/layers/p0' },
        },
      },
      {
        ResourcePath: 'VirtualMachine/Devices/VirtualPMem/Devices/1',
        RequestType: 'Add',
        Settings: { HostPath: path.join(app, 'layer.vhd'), ReadOnly: true, ImageFormat: 'Vhd1' },
        GuestRequest: {
          ResourceType: 'VPMemDevice',
          RequestType: 'Add',
          Settings: { DeviceNumber: 1, MountPath: '/run/layers/p1' },
        },
      },
      {
        ResourcePath: 'VirtualMachine/Devices/Scsi/0/Attachments/0',
        RequestType: 'Add',
        Settings: { Type: 'VirtualDisk', Path: path.join(scratch, 'sandbox.vhdx') },
        GuestRequest: {
          ResourceType: 'MappedVirtualDisk',
          RequestType: 'Add',
          Settings: { MountPath: '/run/gcs/c/a' },
        },
      },
      {
        GuestRequest: {
          ResourceType: 'CombinedLayers',
          RequestType: 'Add',
          Settings: {
            ContainerRootPath: '/run/gcs/c/a/rootfs',
            Layers: [{ Path: '/run/layers/p0' }, { Path: '/run/layers/p1' }],
            ScratchPath: '/run/gcs/c/a',
          },
        },
      },
    ]);
    expect(sender.grants).toEqual([path.join(scratch, 'sandbox.vhdx')]);
    expect(c.rootfs).toBe('/run/gcs/c/a/rootfs');
    expect(c.layers.map((l) => [l.kind, l.device])).toEqual([
      ['vpmem', '0'],
      ['vpmem', '1'],
    ]);
    expect(record.scsi[0]).toMatchObject({
      controller: 0,
      lun: 0,
      readOnly: false,
      access: 'individual',
    });
  });

  it.each<[string, Partial<UvmOptions>, number]>([
    ['no vPMEM device free', { vpmemCount: 1 }, 4096],
    ['the layer larger than the vPMEM max size', { vpmemMaxSizeBytes: 4096 }, 8192],
    ['physically backed', { physicallyBacked: true }, 4096],
  ])('falls back to SCSI with /run/mounts/m<counter> and ro when %s', async (_, options, size) => {
    const { uvm, sender, record } = vm('linux', options);
    const base = makeLayer(root, 'base', 4096);
    const app = makeLayer(root, 'app', size);
    const scratch = makeScratch(root, 'scratch');
    await mountContainerLayers(uvm, [base, app], scratch, '/run/gcs/c/a', GUID);
    const scsiLayer = sender.requests.find(
      (r) => r.Settings && (r.Settings as { Path?: string }).Path === path.join(app, 'layer.vhd'),
    );
    const lun = options.physicallyBacked ? 1 : 0;
    expect(scsiLayer).toEqual({
      ResourcePath: `VirtualMachine/Devices/Scsi/0/Attachments/${lun}`,
      RequestType: 'Add',
      Settings: { Type: 'VirtualDisk', Path: path.join(app, 'layer.vhd'), ReadOnly: true },
      GuestRequest: {
        ResourceType: 'MappedVirtualDisk',
        RequestType: 'Add',
        Settings: {
          MountPath: `/run/mounts/m${options.physicallyBacked ? 2 : 1}`,
          ...(lun === 0 ? {} : { Lun: lun }),
          ReadOnly: true,
          Options: ['ro'],
        },
      },
    });
    expect(record.counters.mount).toBe(options.physicallyBacked ? 2 : 1);
  });

  it('packs layers into 4 GiB devices through the Mappings path in multi-mapping mode', async () => {
    const { uvm, sender, record } = vm('linux', { vpmemMultiMapping: true });
    const base = makeLayer(root, 'base', 5000);
    const app = makeLayer(root, 'app', 3 * 1024 * 1024);
    const scratch = makeScratch(root, 'scratch');
    await mountContainerLayers(uvm, [base, app], scratch, '/run/gcs/c/a', GUID);
    expect(sender.requests.slice(0, 2)).toEqual([
      {
        ResourcePath: 'VirtualMachine/Devices/VirtualPMem/Devices/0/Mappings/0',
        RequestType: 'Add',
        Settings: { HostPath: path.join(base, 'layer.vhd'), ImageFormat: 'Vhd1' },
        GuestRequest: {
          ResourceType: 'VPMemDevice',
          RequestType: 'Add',
          Settings: {
            MountPath: '/run/layers/p0-0-8192',
            MappingInfo: { DeviceSizeInBytes: 8192 },
          },
        },
      },
      {
        ResourcePath: 'VirtualMachine/Devices/VirtualPMem/Devices/0/Mappings/4194304',
        RequestType: 'Add',
        Settings: { HostPath: path.join(app, 'layer.vhd'), ImageFormat: 'Vhd1' },
        GuestRequest: {
          ResourceType: 'VPMemDevice',
          RequestType: 'Add',
          Settings: {
            MountPath: '/run/layers/p0-4194304-3145728',
            MappingInfo: { DeviceOffsetInBytes: 4194304, DeviceSizeInBytes: 3145728 },
          },
        },
      },
    ]);
    expect(record.vpmemMapped).toHaveLength(1);
  });

  it('shares a scratch linked to another container’s and gives it its own subfolder', async () => {
    const { uvm, sender, record } = vm('linux');
    const base = makeLayer(root, 'base');
    const first = makeScratch(root, 'sandbox');
    const second = makeScratch(root, 'b', first);
    await mountContainerLayers(uvm, [base], first, '/run/gcs/c/a', GUID);
    const before = sender.requests.length;
    const c = await mountContainerLayers(uvm, [base], second, '/run/gcs/c/b', GUID);
    expect(sender.requests.slice(before)).toEqual([
      {
        GuestRequest: {
          ResourceType: 'CombinedLayers',
          RequestType: 'Add',
          Settings: {
            ContainerRootPath: '/run/gcs/c/b/rootfs',
            Layers: [{ Path: '/run/layers/p0' }],
            ScratchPath: '/run/gcs/c/a/container_b',
          },
        },
      },
    ]);
    expect(c.scratch.uvmPath).toBe('/run/gcs/c/a/container_b');
    expect(record.scsi[0]?.refCount).toBe(2);
    expect(record.vpmem[0]?.refCount).toBe(2);
  });
});

describe('WCOW mount documents', () => {
  it.each([false, true])(
    'shares layers over VSMB (physically backed: %s) and combines with layer ids',
    async (physicallyBacked) => {
      const { uvm, sender, record } = vm('windows', { physicallyBacked });
      const base = makeLayer(root, 'base');
      const app = makeLayer(root, 'app');
      const scratch = makeScratch(root, 'scratch');
      const c = await mountContainerLayers(uvm, [base, app], scratch, 'C:\\c\\1', GUID);
      const options = {
        ReadOnly: true,
        ShareRead: true,
        CacheIo: true,
        PseudoOplocks: true,
        TakeBackupPrivilege: true,
        ...(physicallyBacked ? { NoDirectmap: true } : {}),
      };
      expect(sender.requests).toEqual([
        {
          ResourcePath: 'VirtualMachine/Devices/VirtualSmb/Shares',
          RequestType: 'Add',
          Settings: { Name: 's1', Path: base, Options: options },
        },
        {
          ResourcePath: 'VirtualMachine/Devices/VirtualSmb/Shares',
          RequestType: 'Add',
          Settings: { Name: 's2', Path: app, Options: options },
        },
        {
          ResourcePath: 'VirtualMachine/Devices/Scsi/0/Attachments/1',
          RequestType: 'Add',
          Settings: { Type: 'VirtualDisk', Path: path.join(scratch, 'sandbox.vhdx') },
          GuestRequest: {
            ResourceType: 'MappedVirtualDisk',
            RequestType: 'Add',
            Settings: { ContainerPath: 'C:\\c\\1', Lun: 1 },
          },
        },
        {
          GuestRequest: {
            ResourceType: 'CombinedLayers',
            RequestType: 'Add',
            Settings: {
              ContainerRootPath: 'C:\\c\\1',
              Layers: [
                { Id: 'guid-of-base', Path: `${VSMB}s1` },
                { Id: 'guid-of-app', Path: `${VSMB}s2` },
              ],
            },
          },
        },
      ]);
      expect(c.rootfs).toBe('C:\\c\\1');
      expect(record.reserved).toEqual([
        { kind: 'scsi', controller: 0, lun: 0, purpose: 'uvm scratch' },
      ]);
    },
  );
});

describe('unmount from the ledger', () => {
  async function mounted(os: UvmOs) {
    const v = vm(os);
    const base = makeLayer(root, 'base');
    const scratch = makeScratch(root, 'scratch');
    const guestRoot = os === 'linux' ? '/run/gcs/c/a' : 'C:\\c\\1';
    const c = await mountContainerLayers(v.uvm, [base], scratch, guestRoot, GUID);
    v.sender.reset();
    return { ...v, c };
  }

  it('removes the combined root first, then only the scratch with --op scsi, then the layers', async () => {
    const { uvm, sender, c } = await mounted('linux');
    await unmountContainerLayers(uvm, c, unmountMask(['scsi']));
    expect(sender.requests).toEqual([
      {
        GuestRequest: {
          ResourceType: 'CombinedLayers',
          RequestType: 'Remove',
          Settings: { ContainerRootPath: '/run/gcs/c/a/rootfs' },
        },
      },
      {
        ResourcePath: 'VirtualMachine/Devices/Scsi/0/Attachments/0',
        RequestType: 'Remove',
        GuestRequest: {
          ResourceType: 'MappedVirtualDisk',
          RequestType: 'Remove',
          Settings: { MountPath: '/run/gcs/c/a' },
        },
      },
    ]);
    expect(isFullyReleased(c)).toBe(false);
    sender.requests.length = 0;
    await unmountContainerLayers(uvm, c, unmountMask([]));
    expect(sender.requests).toEqual([
      {
        ResourcePath: 'VirtualMachine/Devices/VirtualPMem/Devices/0',
        RequestType: 'Remove',
        GuestRequest: {
          ResourceType: 'VPMemDevice',
          RequestType: 'Remove',
          Settings: { MountPath: '/run/layers/p0' },
        },
      },
    ]);
    expect(isFullyReleased(c)).toBe(true);
    sender.requests.length = 0;
    await unmountContainerLayers(uvm, c, unmountMask([]));
    expect(sender.requests).toEqual([]);
  });

  it('sends the WCOW guest settings when removing a WCOW scratch (B11), and VSMB removes by name', async () => {
    const { uvm, sender, c, record } = await mounted('windows');
    await unmountContainerLayers(uvm, c, unmountMask([]));
    expect(sender.requests.slice(1)).toEqual([
      {
        ResourcePath: 'VirtualMachine/Devices/Scsi/0/Attachments/1',
        RequestType: 'Remove',
        GuestRequest: {
          ResourceType: 'MappedVirtualDisk',
          RequestType: 'Remove',
          Settings: { ContainerPath: 'C:\\c\\1', Lun: 1 },
        },
      },
      {
        ResourcePath: 'VirtualMachine/Devices/VirtualSmb/Shares',
        RequestType: 'Remove',
        Settings: { Name: 's1' },
      },
    ]);
    expect(record.vsmb).toEqual([]);
    expect(record.counters.vsmb).toBe(1);
  });

  it('keeps a device and its ref count when its remove fails, and reports every failure', async () => {
    const { uvm, sender, c, record } = await mounted('linux');
    sender.reset(3); // combine remove (1), scratch remove (2), vPMEM remove (3)
    await expect(unmountContainerLayers(uvm, c, unmountMask([]))).rejects.toMatchObject({
      code: 'UNMOUNT_FAILED',
      causes: [{ code: 'HCS_ERROR' }],
    });
    expect(record.vpmem).toEqual([expect.objectContaining({ device: 0, refCount: 1 })]);
    expect(c.scratch.released).toBe(true);
    expect(c.layers[0]?.released).toBe(false);
  });

  it('reports several failures of one unmount together, each cause kept', async () => {
    const v = vm('linux');
    const c = await mountContainerLayers(
      v.uvm,
      [makeLayer(root, 'base'), makeLayer(root, 'app')],
      makeScratch(root, 'scratch'),
      '/run/gcs/c/a',
      GUID,
    );
    v.sender.reset([2, 4]); // the scratch and the second layer fail; the first layer goes
    const error = await unmountContainerLayers(v.uvm, c, unmountMask([])).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'UNMOUNT_FAILED',
      causes: [{ code: 'HCS_ERROR' }, { code: 'HCS_ERROR' }],
    });
    expect((error as Error).message).toMatch(
      /SCSI disk .*sandbox\.vhdx.*; failed to remove vPMEM device 1/,
    );
    expect(c.layers.map((l) => l.released)).toEqual([true, false]);
    v.sender.reset();
    await unmountContainerLayers(v.uvm, c, unmountMask([]));
    expect(isFullyReleased(c)).toBe(true);
    expect(v.sender.requests.map((r) => r.ResourcePath)).toEqual([
      'VirtualMachine/Devices/Scsi/0/Attachments/0',
      'VirtualMachine/Devices/VirtualPMem/Devices/1',
    ]);
  });
});

describe('a failed mount rolls back everything it added', () => {
  it.each([1, 2, 3, 4])(
    'failing request %i leaves the UVM as before and names the step',
    async (failAt) => {
      const { uvm, sender, record } = vm('linux', { vpmemCount: 1 });
      const base = makeLayer(root, 'base');
      const app = makeLayer(root, 'app');
      const scratch = makeScratch(root, 'scratch');
      const before: UvmRecord = structuredClone(record);
      sender.reset(failAt);
      const error = await mountContainerLayers(
        uvm,
        [base, app],
        scratch,
        '/run/gcs/c/a',
        GUID,
      ).catch((e: unknown) => e);
      expect(expectCode(error)).toBe('HCS_ERROR');
      const step = ['vPMEM device 0', 'SCSI disk', 'SCSI disk', 'combine layers'][failAt - 1] ?? '';
      expect((error as Error).message).toContain(step);
      expect({ ...record, counters: before.counters }).toEqual(before);
      // Everything added was removed again, newest first.
      const adds = sender.requests.filter((r) => r.RequestType === 'Add').length;
      const removes = sender.requests.filter((r) => r.RequestType === 'Remove').length;
      expect(removes).toBe(adds);
    },
  );
});
