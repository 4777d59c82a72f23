/**
 * Every refusal of the simulator, one document each: the HRESULT, a message that names the
 * slot/share/path, and a state that is exactly as before the refused document.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UvmCreateConfig } from '../backend.js';
import { HRESULT } from '../hresult.js';
import type { ModifySettingRequest } from '../schema.js';
import {
  docs,
  expectRefused,
  LAYER_ID_A,
  LAYER_ID_B,
  LCOW,
  makeFiles,
  runningUvm,
  sandbox,
  vhd,
  vsmbPath,
  WCOW,
  type Files,
  type Harness,
} from './sim-fixtures.js';
import { MAX_MAPPINGS_PER_DEVICE } from './vpmem-handler.js';

let f: Files;
beforeAll(() => {
  f = makeFiles();
});
afterAll(() => f.cleanup());

type Setup = (h: Harness) => Promise<void>;

interface RefusalCase {
  name: string;
  config?: UvmCreateConfig;
  setup?: Setup;
  doc: () => unknown;
  hresult: number;
  /** Fragments the message must contain (slot, path, share...). */
  says: () => string[];
}

const send = (h: Harness, doc: ModifySettingRequest): Promise<void> => h.backend.modify(h.id, doc);

// LCOW building blocks.
const roLayer: Setup = (h) =>
  send(h, docs.lcowScsiAdd(0, 1, vhd(f.layerA), true, '/run/mounts/m1'));
const vpmemLayer: Setup = (h) => send(h, docs.vpmemAdd(0, vhd(f.layerB)));
const scratch: Setup = async (h) => {
  await h.backend.grantVmAccess(h.id, sandbox(f.scratch));
  await send(h, docs.lcowScsiAdd(0, 2, sandbox(f.scratch), false, '/run/mounts/m2'));
};
const lcowContainer: Setup = async (h) => {
  await vpmemLayer(h);
  await roLayer(h);
  await scratch(h);
  await send(
    h,
    docs.lcowCombine(
      '/run/gcs/c/c1/rootfs',
      ['/run/layers/p0', '/run/mounts/m1'],
      '/run/mounts/m2',
    ),
  );
};
const mapped: Setup = (h) => send(h, docs.mappingAdd(0, 0, 8192, vhd(f.layerA)));
const MULTI: UvmCreateConfig = { ...LCOW, vpmemMultiMapping: true };

// WCOW building blocks.
const shares: Setup = async (h) => {
  await send(h, docs.vsmbAdd('s1', f.layerA));
  await send(h, docs.vsmbAdd('s2', f.layerB));
};
const wcowScratch: Setup = async (h) => {
  await h.backend.grantVmAccess(h.id, sandbox(f.scratch));
  await send(h, docs.wcowScsiAdd(1, sandbox(f.scratch), 'C:\\c\\1'));
};
const wcowContainer: Setup = async (h) => {
  await shares(h);
  await wcowScratch(h);
  await send(
    h,
    docs.wcowCombine('C:\\c\\1', [
      { Id: LAYER_ID_A, Path: vsmbPath('s1') },
      { Id: LAYER_ID_B, Path: vsmbPath('s2') },
    ]),
  );
};

const scsiPath = (c: number, l: number): string =>
  `VirtualMachine/Devices/Scsi/${c}/Attachments/${l}`;
const roAdd = (lun: number): ModifySettingRequest =>
  docs.lcowScsiAdd(0, lun, vhd(f.layerB), true, `/run/mounts/m${lun + 10}`);

const envelopeCases: RefusalCase[] = [
  {
    name: 'a document that is not an object',
    doc: () => 'Add',
    hresult: HRESULT.HCS_E_INVALID_JSON,
    says: () => ['utility VM u1', 'JSON object'],
  },
  {
    name: 'an unknown top-level field',
    doc: () => ({ ...roAdd(3), Priority: 1 }),
    hresult: HRESULT.HCS_E_INVALID_JSON,
    says: () => ['"Priority"', scsiPath(0, 3)],
  },
  {
    name: 'an unknown ResourcePath',
    doc: () => ({ ...roAdd(3), ResourcePath: 'VirtualMachine/Devices/Scsi/0/Attachment/3' }),
    hresult: HRESULT.E_INVALIDARG,
    says: () => ['VirtualMachine/Devices/Scsi/0/Attachment/3', 'utility VM u1'],
  },
  {
    name: 'a Plan9 share path (not modelled)',
    doc: () => ({
      ResourcePath: 'VirtualMachine/Devices/Plan9/Shares',
      RequestType: 'Add',
      Settings: {},
    }),
    hresult: HRESULT.E_INVALIDARG,
    says: () => ['VirtualMachine/Devices/Plan9/Shares'],
  },
  {
    name: 'a controller key with a leading zero',
    doc: () => ({ ...roAdd(3), ResourcePath: 'VirtualMachine/Devices/Scsi/00/Attachments/3' }),
    hresult: HRESULT.E_INVALIDARG,
    says: () => ['Scsi/00/Attachments/3'],
  },
  {
    name: 'a RequestType that is not Add/Remove/Update',
    doc: () => ({ ...roAdd(3), RequestType: 'Delete' }),
    hresult: HRESULT.HCS_E_INVALID_JSON,
    says: () => ['"Delete"', scsiPath(0, 3)],
  },
  {
    name: 'a ResourcePath without RequestType',
    doc: () => ({
      ResourcePath: scsiPath(0, 3),
      Settings: { Type: 'VirtualDisk', Path: vhd(f.layerA) },
    }),
    hresult: HRESULT.E_INVALIDARG,
    says: () => ['RequestType', scsiPath(0, 3)],
  },
  {
    name: 'Update on a SCSI attachment',
    doc: () => ({ ...roAdd(3), RequestType: 'Update', GuestRequest: undefined }),
    hresult: HRESULT.E_INVALIDARG,
    says: () => ['Update', scsiPath(0, 3)],
  },
  {
    name: 'an empty document',
    doc: () => ({}),
    hresult: HRESULT.E_INVALIDARG,
    says: () => ['empty', 'utility VM u1'],
  },
  {
    name: 'RequestType without ResourcePath',
    doc: () => ({ ...docs.uncombine('/run/gcs/c/c1/rootfs'), RequestType: 'Remove' }),
    hresult: HRESULT.E_INVALIDARG,
    says: () => ['no ResourcePath'],
  },
  {
    name: 'a guest-only MappedVirtualDisk request',
    doc: () => ({ GuestRequest: roAdd(3).GuestRequest }),
    hresult: HRESULT.E_INVALIDARG,
    says: () => ['guest-only', 'MappedVirtualDisk'],
  },
];

const settingsCases: RefusalCase[] = [
  {
    name: 'a SCSI Add without Settings',
    doc: () => ({ ...roAdd(3), Settings: undefined }),
    hresult: HRESULT.E_INVALIDARG,
    says: () => ['Settings (Attachment)', scsiPath(0, 3)],
  },
  {
    name: 'an Attachment without Path',
    doc: () => ({ ...roAdd(3), Settings: { Type: 'VirtualDisk', ReadOnly: true } }),
    hresult: HRESULT.E_INVALIDARG,
    says: () => ['Settings.Path', scsiPath(0, 3)],
  },
  {
    name: 'an Attachment without Type',
    doc: () => ({ ...roAdd(3), Settings: { Path: vhd(f.layerB), ReadOnly: true } }),
    hresult: HRESULT.E_INVALIDARG,
    says: () => ['Settings.Type'],
  },
  {
    name: 'a string where ReadOnly is a boolean',
    doc: () => ({
      ...roAdd(3),
      Settings: { Type: 'VirtualDisk', Path: vhd(f.layerB), ReadOnly: 'yes' },
    }),
    hresult: HRESULT.HCS_E_INVALID_JSON,
    says: () => ['Settings.ReadOnly', '"yes"'],
  },
  {
    name: 'a misspelt Attachment field',
    doc: () => ({
      ...roAdd(3),
      Settings: { Type: 'VirtualDisk', Path: vhd(f.layerB), Readonly: true },
    }),
    hresult: HRESULT.HCS_E_INVALID_JSON,
    says: () => ['"Readonly"', scsiPath(0, 3)],
  },
  {
    name: 'an unknown Attachment Type',
    doc: () => ({ ...roAdd(3), Settings: { Type: 'Floppy', Path: vhd(f.layerB) } }),
    hresult: HRESULT.HCS_E_INVALID_JSON,
    says: () => ['"Floppy"'],
  },
  {
    name: 'Settings on a SCSI Remove',
    setup: roLayer,
    doc: () => ({
      ...docs.lcowScsiRemove(0, 1, '/run/mounts/m1'),
      Settings: { Path: vhd(f.layerA) },
    }),
    hresult: HRESULT.E_INVALIDARG,
    says: () => ['takes no Settings', scsiPath(0, 1)],
  },
  {
    name: 'an unknown guest ResourceType',
    doc: () => ({
      ...roAdd(3),
      GuestRequest: { ResourceType: 'Bogus', RequestType: 'Add', Settings: {} },
    }),
    hresult: HRESULT.E_INVALIDARG,
    says: () => ['"Bogus"', scsiPath(0, 3)],
  },
  {
    name: 'a guest ResourceType the sim does not model',
    doc: () => ({
      ...roAdd(3),
      GuestRequest: { ResourceType: 'Network', RequestType: 'Add', Settings: {} },
    }),
    hresult: HRESULT.E_INVALIDARG,
    says: () => ['"Network"', 'not modelled'],
  },
  {
    name: 'a VPMemDevice guest half on a SCSI path',
    doc: () => ({ ...roAdd(3), GuestRequest: docs.vpmemAdd(3, vhd(f.layerA)).GuestRequest }),
    hresult: HRESULT.E_INVALIDARG,
    says: () => ['MappedVirtualDisk', 'VPMemDevice', scsiPath(0, 3)],
  },
  {
    name: 'a guest Remove inside a host Add',
    doc: () => ({
      ...roAdd(3),
      GuestRequest: docs.lcowScsiRemove(0, 3, '/run/mounts/m13').GuestRequest,
    }),
    hresult: HRESULT.E_INVALIDARG,
    says: () => ['Remove', 'Add', scsiPath(0, 3)],
  },
  {
    name: 'a guest Lun that differs from the ResourcePath (omitted Lun = 0)',
    doc: () => ({
      ...roAdd(3),
      GuestRequest: {
        ResourceType: 'MappedVirtualDisk',
        RequestType: 'Add',
        Settings: { MountPath: '/run/mounts/m13', ReadOnly: true },
      },
    }),
    hresult: HRESULT.E_INVALIDARG,
    says: () => ['SCSI 0:0', '0:3'],
  },
  {
    name: 'WCOW guest settings on a Linux UVM',
    doc: () => ({
      ...roAdd(3),
      GuestRequest: {
        ResourceType: 'MappedVirtualDisk',
        RequestType: 'Add',
        Settings: { ContainerPath: 'C:\\c\\1', Lun: 3 },
      },
    }),
    hresult: HRESULT.HCS_E_INVALID_JSON,
    says: () => ['"ContainerPath"', 'LCOWMappedVirtualDisk'],
  },
  {
    name: 'a guest Lun outside uint8',
    doc: () => ({
      ...roAdd(3),
      GuestRequest: {
        ResourceType: 'MappedVirtualDisk',
        RequestType: 'Add',
        Settings: { MountPath: '/m', Lun: 300 },
      },
    }),
    hresult: HRESULT.HCS_E_INVALID_JSON,
    says: () => ['GuestRequest.Settings.Lun', '300'],
  },
  {
    name: 'a relative guest MountPath',
    doc: () => docs.lcowScsiAdd(0, 3, vhd(f.layerB), true, 'run/mounts/m3'),
    hresult: HRESULT.E_INVALIDARG,
    says: () => ['MountPath', '"run/mounts/m3"'],
  },
  {
    name: 'a guest MappedVirtualDisk Add without MountPath',
    doc: () => ({
      ...roAdd(3),
      GuestRequest: {
        ResourceType: 'MappedVirtualDisk',
        RequestType: 'Add',
        Settings: { Lun: 3, ReadOnly: true },
      },
    }),
    hresult: HRESULT.E_INVALIDARG,
    says: () => ['MountPath', 'required'],
  },
];

const scsiCases: RefusalCase[] = [
  {
    name: 'a controller beyond scsiControllers',
    doc: () => docs.lcowScsiAdd(1, 0, vhd(f.layerB), true, '/run/mounts/m9'),
    hresult: HRESULT.E_INVALIDARG,
    says: () => ['SCSI controller 1', 'slot 1:0', 'utility VM u1'],
  },
  {
    name: 'LUN 64',
    doc: () => docs.lcowScsiAdd(0, 64, vhd(f.layerB), true, '/run/mounts/m9'),
    hresult: HRESULT.E_INVALIDARG,
    says: () => ['SCSI LUN 64', 'slot 0:64'],
  },
  {
    name: 'an occupied slot',
    setup: roLayer,
    doc: () => docs.lcowScsiAdd(0, 1, vhd(f.layerB), true, '/run/mounts/m9'),
    hresult: HRESULT.ERROR_ALREADY_EXISTS,
    says: () => [`SCSI slot 0:1 on utility VM u1 is already occupied by ${vhd(f.layerA)}`],
  },
  {
    name: 'a VHD that does not exist',
    doc: () => docs.lcowScsiAdd(0, 3, f.missing, true, '/run/mounts/m3'),
    hresult: HRESULT.ERROR_FILE_NOT_FOUND,
    says: () => [f.missing, 'SCSI slot 0:3'],
  },
  {
    name: 'a directory given as the VHD',
    doc: () => docs.lcowScsiAdd(0, 3, f.layerA, true, '/run/mounts/m3'),
    hresult: HRESULT.E_INVALIDARG,
    says: () => [f.layerA, 'is a directory'],
  },
  {
    name: 'a relative host path',
    doc: () => docs.lcowScsiAdd(0, 3, 'layerA/layer.vhd', true, '/run/mounts/m3'),
    hresult: HRESULT.E_INVALIDARG,
    says: () => ['"layerA/layer.vhd"', 'not absolute'],
  },
  {
    name: 'a read-write attach without a VM access grant',
    doc: () => docs.lcowScsiAdd(0, 3, sandbox(f.scratch2), false, '/run/mounts/m3'),
    hresult: HRESULT.E_ACCESSDENIED,
    says: () => [sandbox(f.scratch2), 'GrantVmAccess', 'SCSI slot 0:3'],
  },
  {
    name: 'removing an empty slot',
    doc: () => docs.lcowScsiRemove(0, 5, '/run/mounts/m5'),
    hresult: HRESULT.ERROR_NOT_FOUND,
    says: () => ['/run/mounts/m5', 'is not mounted'],
  },
  {
    name: 'removing an empty slot (eject only)',
    doc: () => docs.lcowScsiRemove(0, 5),
    hresult: HRESULT.ERROR_NOT_FOUND,
    says: () => ['SCSI slot 0:5 on utility VM u1 is empty'],
  },
  {
    name: 'a hot-remove while the guest still has the disk mounted',
    setup: roLayer,
    doc: () => docs.lcowScsiRemove(0, 1),
    hresult: HRESULT.ERROR_BUSY,
    says: () => ['SCSI slot 0:1', '/run/mounts/m1'],
  },
  {
    name: 'a guest mount over a mounted path',
    setup: roLayer,
    doc: () => docs.lcowScsiAdd(0, 3, vhd(f.layerB), true, '/run/mounts/m1'),
    hresult: HRESULT.ERROR_BUSY,
    says: () => ['/run/mounts/m1', 'already mounted', 'scsi 0:1'],
  },
  {
    name: 'a guest mount over a combined root',
    setup: lcowContainer,
    doc: () => docs.lcowScsiAdd(0, 3, vhd(f.layerC), true, '/run/gcs/c/c1/rootfs'),
    hresult: HRESULT.ERROR_BUSY,
    says: () => ['/run/gcs/c/c1/rootfs', 'combined container root'],
  },
  {
    name: 'a read-only disk mounted read-write',
    doc: () => ({
      ...roAdd(3),
      GuestRequest: {
        ResourceType: 'MappedVirtualDisk',
        RequestType: 'Add',
        Settings: { MountPath: '/run/mounts/m3', Lun: 3 },
      },
    }),
    hresult: HRESULT.E_ACCESSDENIED,
    says: () => [vhd(f.layerB), '/run/mounts/m3', 'read-only'],
  },
  {
    name: 'the guest unmount of a path that is not mounted',
    setup: roLayer,
    doc: () => docs.lcowScsiRemove(0, 1, '/run/mounts/m7'),
    hresult: HRESULT.ERROR_NOT_FOUND,
    says: () => ['/run/mounts/m7', 'is not mounted', 'utility VM u1'],
  },
  {
    name: 'the guest unmount of a path mounted from another device',
    setup: async (h) => {
      await roLayer(h);
      await vpmemLayer(h);
    },
    doc: () => docs.lcowScsiRemove(0, 1, '/run/layers/p0'),
    hresult: HRESULT.E_INVALIDARG,
    says: () => ['/run/layers/p0', 'vpmem 0', 'scsi 0:1'],
  },
  {
    name: 'unmounting a layer a combined root still uses',
    setup: lcowContainer,
    doc: () => docs.lcowScsiRemove(0, 1, '/run/mounts/m1'),
    hresult: HRESULT.ERROR_BUSY,
    says: () => ['/run/mounts/m1', '/run/gcs/c/c1/rootfs', 'busy'],
  },
  {
    name: 'unmounting a scratch a combined root still uses',
    setup: lcowContainer,
    doc: () => docs.lcowScsiRemove(0, 2, '/run/mounts/m2'),
    hresult: HRESULT.ERROR_BUSY,
    says: () => ['/run/mounts/m2', '/run/gcs/c/c1/rootfs'],
  },
];

const vpmemCases: RefusalCase[] = [
  {
    name: 'a vPMEM device beyond vpmemCount',
    doc: () => docs.vpmemAdd(4, vhd(f.layerA)),
    hresult: HRESULT.E_INVALIDARG,
    says: () => ['vPMEM device 4', 'utility VM u1', '0-3'],
  },
  {
    name: 'a vPMEM file over vpmemMaxSizeBytes',
    doc: () => docs.vpmemAdd(1, vhd(f.bigLayer)),
    hresult: HRESULT.E_INVALIDARG,
    says: () => [vhd(f.bigLayer), 'vPMEM device 1', '20000', '16384'],
  },
  {
    name: 'an occupied vPMEM device',
    setup: vpmemLayer,
    doc: () => docs.vpmemAdd(0, vhd(f.layerA)),
    hresult: HRESULT.ERROR_ALREADY_EXISTS,
    says: () => [`vPMEM device 0 on utility VM u1 is already occupied by ${vhd(f.layerB)}`],
  },
  {
    name: 'a vPMEM HostPath that does not exist',
    doc: () => docs.vpmemAdd(1, f.missing),
    hresult: HRESULT.ERROR_FILE_NOT_FOUND,
    says: () => [f.missing, 'vPMEM device 1'],
  },
  {
    name: 'removing an absent vPMEM device',
    doc: () => ({ ...docs.vpmemRemove(2), GuestRequest: undefined }),
    hresult: HRESULT.ERROR_NOT_FOUND,
    says: () => ['vPMEM device 2 on utility VM u1 does not exist'],
  },
  {
    name: 'a hot-remove of a vPMEM device still mounted',
    setup: vpmemLayer,
    doc: () => ({ ...docs.vpmemRemove(0), GuestRequest: undefined }),
    hresult: HRESULT.ERROR_BUSY,
    says: () => ['vPMEM device 0', '/run/layers/p0'],
  },
  {
    name: 'unmounting a vPMEM layer a combined root still uses',
    setup: lcowContainer,
    doc: () => docs.vpmemRemove(0),
    hresult: HRESULT.ERROR_BUSY,
    says: () => ['/run/layers/p0', '/run/gcs/c/c1/rootfs'],
  },
  {
    name: 'a guest DeviceNumber that differs from the ResourcePath',
    doc: () => ({
      ...docs.vpmemAdd(1, vhd(f.layerA)),
      GuestRequest: docs.vpmemAdd(2, vhd(f.layerA)).GuestRequest,
    }),
    hresult: HRESULT.E_INVALIDARG,
    says: () => ['vPMEM device 2', 'device 1'],
  },
  {
    name: 'MappingInfo on a whole-device request',
    doc: () => ({
      ...docs.vpmemAdd(0, vhd(f.layerA)),
      GuestRequest: docs.mappingAdd(0, 0, 8192, vhd(f.layerA)).GuestRequest,
    }),
    hresult: HRESULT.E_INVALIDARG,
    says: () => ['MappingInfo', 'VirtualMachine/Devices/VirtualPMem/Devices/0'],
  },
  {
    name: 'an unknown ImageFormat',
    doc: () => ({
      ...docs.vpmemAdd(0, vhd(f.layerA)),
      Settings: { HostPath: vhd(f.layerA), ImageFormat: 'Vhd3' },
    }),
    hresult: HRESULT.HCS_E_INVALID_JSON,
    says: () => ['ImageFormat', '"Vhd3"'],
  },
  {
    name: 'a mapping whose MappingInfo offset differs from the path',
    config: MULTI,
    doc: () => ({
      ...docs.mappingAdd(0, 1048576, 8192, vhd(f.layerA)),
      GuestRequest: docs.mappingAdd(0, 0, 8192, vhd(f.layerA)).GuestRequest,
    }),
    hresult: HRESULT.E_INVALIDARG,
    says: () => ['DeviceOffsetInBytes 0', 'offset 1048576'],
  },
  {
    name: 'a mapping Add without MappingInfo',
    config: MULTI,
    doc: () => ({
      ...docs.mappingAdd(0, 0, 8192, vhd(f.layerA)),
      GuestRequest: {
        ResourceType: 'VPMemDevice',
        RequestType: 'Add',
        Settings: { MountPath: '/run/layers/p0-0-8192' },
      },
    }),
    hresult: HRESULT.E_INVALIDARG,
    says: () => ['MappingInfo', 'Mappings/0'],
  },
  {
    name: 'a mapping outside the 4 GiB device',
    config: MULTI,
    doc: () => docs.mappingAdd(0, 4294967296 - 4096, 8192, vhd(f.layerA)),
    hresult: HRESULT.E_INVALIDARG,
    says: () => ['vPMEM mapping 0@4294963200', 'outside', vhd(f.layerA)],
  },
  {
    name: 'a mapping overlapping another',
    config: MULTI,
    setup: mapped,
    doc: () => docs.mappingAdd(0, 4096, 8192, vhd(f.layerB)),
    hresult: HRESULT.E_INVALIDARG,
    says: () => ['vPMEM mapping 0@4096', 'overlap', vhd(f.layerA)],
  },
  {
    name: 'an occupied mapping offset',
    config: MULTI,
    setup: mapped,
    doc: () => docs.mappingAdd(0, 0, 8192, vhd(f.layerB)),
    hresult: HRESULT.ERROR_ALREADY_EXISTS,
    says: () => [`vPMEM mapping 0@0 on utility VM u1 is already occupied by ${vhd(f.layerA)}`],
  },
  {
    name: 'a mapping offset that is not page-aligned',
    config: MULTI,
    doc: () => docs.mappingAdd(0, 100, 8192, vhd(f.layerA)),
    hresult: HRESULT.E_INVALIDARG,
    says: () => ['vPMEM mapping 0@100', '4096'],
  },
  {
    name: 'a mapping smaller than its file',
    config: MULTI,
    doc: () => docs.mappingAdd(0, 0, 4096, vhd(f.layerA)),
    hresult: HRESULT.E_INVALIDARG,
    says: () => ['vPMEM mapping 0@0', '4096', '8192'],
  },
  {
    name: 'a mapping on a single-VHD device',
    setup: vpmemLayer,
    doc: () => docs.mappingAdd(0, 0, 8192, vhd(f.layerA)),
    hresult: HRESULT.ERROR_ALREADY_EXISTS,
    says: () => ['vPMEM device 0', vhd(f.layerB), 'no mappings'],
  },
  {
    name: 'a mapping beyond 1024 on one device',
    config: MULTI,
    setup: (h) => {
      const state = h.backend.inspect(h.id);
      if (!state) throw new Error('no state');
      const mappings: Record<string, { hostPath: string; sizeBytes: number }> = {};
      for (let i = 0; i < MAX_MAPPINGS_PER_DEVICE; i++) {
        mappings[String(i * 1048576)] = { hostPath: vhd(f.layerC), sizeBytes: 1048576 };
      }
      state.vpmem['0'] = { mappings };
      h.persistence.save(h.id, state);
      return Promise.resolve();
    },
    doc: () => docs.mappingAdd(0, 2147483648, 8192, vhd(f.layerA)),
    hresult: HRESULT.E_INVALIDARG,
    says: () => ['vPMEM device 0', '1024 mappings'],
  },
  {
    name: 'removing an absent mapping',
    config: MULTI,
    setup: mapped,
    doc: () => docs.mappingRemove(0, 1048576, 8192),
    hresult: HRESULT.ERROR_NOT_FOUND,
    says: () => ['/run/layers/p0-1048576-8192', 'not mounted'],
  },
  {
    name: 'removing an absent mapping (host half only)',
    config: MULTI,
    setup: mapped,
    doc: () => ({ ...docs.mappingRemove(0, 1048576, 8192), GuestRequest: undefined }),
    hresult: HRESULT.ERROR_NOT_FOUND,
    says: () => ['vPMEM mapping 0@1048576 on utility VM u1 does not exist'],
  },
  {
    name: 'removing a mapped device without its offset-0 mapping',
    config: MULTI,
    setup: async (h) => {
      await send(h, docs.mappingAdd(1, 1048576, 8192, vhd(f.layerA)));
      await send(h, docs.mappingRemove(1, 1048576, 8192));
      await send(h, docs.mappingAdd(1, 2097152, 8192, vhd(f.layerA)));
      await send(h, docs.mappingRemove(1, 2097152, 8192));
      await send(h, docs.mappingAdd(1, 1048576, 8192, vhd(f.layerB)));
    },
    doc: () => ({
      ResourcePath: 'VirtualMachine/Devices/VirtualPMem/Devices/1',
      RequestType: 'Remove',
    }),
    hresult: HRESULT.HCS_E_INVALID_STATE,
    says: () => ['vPMEM device 1', 'offset 0'],
  },
  {
    name: 'VSMB on a Linux UVM',
    doc: () => docs.vsmbAdd('s1', f.layerA),
    hresult: HRESULT.E_INVALIDARG,
    says: () => ['VirtualMachine/Devices/VirtualSmb/Shares', 'utility VM u1', 'Linux'],
  },
];

const lcowCombineCases: RefusalCase[] = [
  {
    name: 'a combine whose layer is not mounted',
    setup: scratch,
    doc: () => docs.lcowCombine('/run/gcs/c/c1/rootfs', ['/run/layers/p3'], '/run/mounts/m2'),
    hresult: HRESULT.ERROR_PATH_NOT_FOUND,
    says: () => ['/run/layers/p3', '/run/gcs/c/c1/rootfs', 'utility VM u1'],
  },
  {
    name: 'a combine whose scratch is not inside a mount',
    setup: vpmemLayer,
    doc: () =>
      docs.lcowCombine('/run/gcs/c/c1/rootfs', ['/run/layers/p0'], '/run/mounts/m2/container_c1'),
    hresult: HRESULT.ERROR_PATH_NOT_FOUND,
    says: () => ['/run/mounts/m2/container_c1'],
  },
  {
    name: 'a combine whose scratch is on a read-only mount',
    setup: async (h) => {
      await vpmemLayer(h);
      await roLayer(h);
    },
    doc: () =>
      docs.lcowCombine('/run/gcs/c/c1/rootfs', ['/run/layers/p0'], '/run/mounts/m1/container_c1'),
    hresult: HRESULT.E_ACCESSDENIED,
    says: () => ['/run/mounts/m1/container_c1', 'read-only', '/run/mounts/m1'],
  },
  {
    name: 'a combine over a root already combined',
    setup: lcowContainer,
    doc: () =>
      docs.lcowCombine('/run/gcs/c/c1/rootfs', ['/run/layers/p0'], '/run/mounts/m2/container_c2'),
    hresult: HRESULT.ERROR_BUSY,
    says: () => ['/run/gcs/c/c1/rootfs', 'already'],
  },
  {
    name: 'two roots on one scratch path',
    setup: lcowContainer,
    doc: () => docs.lcowCombine('/run/gcs/c/c2/rootfs', ['/run/layers/p0'], '/run/mounts/m2'),
    hresult: HRESULT.ERROR_BUSY,
    says: () => ['/run/mounts/m2', '/run/gcs/c/c1/rootfs'],
  },
  {
    name: 'an LCOW combine without ScratchPath',
    setup: vpmemLayer,
    doc: () => ({
      GuestRequest: {
        ResourceType: 'CombinedLayers',
        RequestType: 'Add',
        Settings: {
          ContainerRootPath: '/run/gcs/c/c1/rootfs',
          Layers: [{ Path: '/run/layers/p0' }],
        },
      },
    }),
    hresult: HRESULT.E_INVALIDARG,
    says: () => ['ScratchPath', '/run/gcs/c/c1/rootfs'],
  },
  {
    name: 'a combine without layers',
    setup: scratch,
    doc: () => docs.lcowCombine('/run/gcs/c/c1/rootfs', [], '/run/mounts/m2'),
    hresult: HRESULT.E_INVALIDARG,
    says: () => ['Layers', 'at least one'],
  },
  {
    name: 'a layer Id that is not a GUID',
    setup: lcowContainer,
    doc: () => ({
      GuestRequest: {
        ResourceType: 'CombinedLayers',
        RequestType: 'Add',
        Settings: {
          ContainerRootPath: '/run/gcs/c/c2/rootfs',
          Layers: [{ Id: 'layer-1', Path: '/run/layers/p0' }],
          ScratchPath: '/run/mounts/m2/c2',
        },
      },
    }),
    hresult: HRESULT.E_INVALIDARG,
    says: () => ['Layers[0].Id', '"layer-1"'],
  },
  {
    name: 'removing a root that is not combined',
    doc: () => docs.uncombine('/run/gcs/c/c9/rootfs'),
    hresult: HRESULT.ERROR_NOT_FOUND,
    says: () => ['/run/gcs/c/c9/rootfs', 'utility VM u1'],
  },
];

const wcowCases: RefusalCase[] = [
  {
    name: 'vPMEM on a Windows UVM',
    config: WCOW,
    doc: () => docs.vpmemAdd(0, vhd(f.layerA)),
    hresult: HRESULT.E_INVALIDARG,
    says: () => ['VirtualMachine/Devices/VirtualPMem/Devices/0', 'utility VM w1', 'Windows'],
  },
  {
    name: "an Add on the UVM's own scratch slot 0:0",
    config: WCOW,
    doc: () => docs.wcowScsiAdd(0, vhd(f.layerA), 'C:\\c\\1'),
    hresult: HRESULT.ERROR_ALREADY_EXISTS,
    says: () => ['SCSI slot 0:0 on utility VM w1', 'uvm scratch', 'reserved'],
  },
  {
    name: "removing the UVM's own scratch slot 0:0",
    config: WCOW,
    doc: () => ({ ResourcePath: scsiPath(0, 0), RequestType: 'Remove' }),
    hresult: HRESULT.E_ACCESSDENIED,
    says: () => ['SCSI slot 0:0 on utility VM w1'],
  },
  {
    name: 'LCOW MappedVirtualDisk settings sent to a Windows UVM (B11)',
    config: WCOW,
    setup: wcowScratch,
    doc: () => docs.lcowScsiRemove(0, 1, 'C:\\c\\1'),
    hresult: HRESULT.HCS_E_INVALID_JSON,
    says: () => ['"MountPath"', 'WCOWMappedVirtualDisk', scsiPath(0, 1)],
  },
  {
    name: 'a second SCSI controller on WCOW',
    config: WCOW,
    doc: () => ({
      ResourcePath: scsiPath(1, 0),
      RequestType: 'Add',
      Settings: { Type: 'VirtualDisk', Path: vhd(f.layerA) },
    }),
    hresult: HRESULT.E_INVALIDARG,
    says: () => ['SCSI controller 1', 'utility VM w1'],
  },
  {
    name: 'a WCOW ContainerPath that is not a drive path',
    config: WCOW,
    doc: () => docs.wcowScsiAdd(1, vhd(f.layerA), '/c/1'),
    hresult: HRESULT.E_INVALIDARG,
    says: () => ['ContainerPath', '"/c/1"'],
  },
  {
    name: 'an existing share name',
    config: WCOW,
    setup: shares,
    doc: () => docs.vsmbAdd('s1', f.layerC),
    hresult: HRESULT.ERROR_ALREADY_EXISTS,
    says: () => ['VSMB share s1 on utility VM w1', f.layerA],
  },
  {
    name: 'a share folder that does not exist',
    config: WCOW,
    doc: () => docs.vsmbAdd('s1', `${f.root}/nowhere`),
    hresult: HRESULT.ERROR_FILE_NOT_FOUND,
    says: () => ['VSMB share s1', `${f.root}/nowhere`],
  },
  {
    name: 'a file shared without RestrictFileAccess',
    config: WCOW,
    doc: () => docs.vsmbAdd('s1', f.plainFile),
    hresult: HRESULT.E_INVALIDARG,
    says: () => ['VSMB share s1', f.plainFile, 'RestrictFileAccess'],
  },
  {
    name: 'an unknown share option',
    config: WCOW,
    doc: () => ({
      ...docs.vsmbAdd('s1', f.layerA),
      Settings: { Name: 's1', Path: f.layerA, Options: { ReadOnlyy: true } },
    }),
    hresult: HRESULT.HCS_E_INVALID_JSON,
    says: () => ['"ReadOnlyy"', 'Settings.Options', 'VirtualSmbShareOptions'],
  },
  {
    name: 'a share Add with a GuestRequest',
    config: WCOW,
    doc: () => ({
      ...docs.vsmbAdd('s1', f.layerA),
      GuestRequest: docs.wcowScsiAdd(1, vhd(f.layerA), 'C:\\c\\1').GuestRequest,
    }),
    hresult: HRESULT.E_INVALIDARG,
    says: () => ['VSMB', 'GuestRequest'],
  },
  {
    name: 'removing an absent share',
    config: WCOW,
    doc: () => docs.vsmbRemove('s9'),
    hresult: HRESULT.ERROR_NOT_FOUND,
    says: () => ['VSMB share s9 on utility VM w1 does not exist'],
  },
  {
    name: 'a share Remove without Name',
    config: WCOW,
    doc: () => ({
      ResourcePath: 'VirtualMachine/Devices/VirtualSmb/Shares',
      RequestType: 'Remove',
      Settings: {},
    }),
    hresult: HRESULT.E_INVALIDARG,
    says: () => ['Settings.Name'],
  },
  {
    name: 'an Update of an unrestricted share',
    config: WCOW,
    setup: shares,
    doc: () => ({ ...docs.vsmbAdd('s1', f.layerA), RequestType: 'Update' }),
    hresult: HRESULT.E_INVALIDARG,
    says: () => ['VSMB share s1', 'RestrictFileAccess'],
  },
  {
    name: 'an Update of an absent share',
    config: WCOW,
    doc: () => ({ ...docs.vsmbAdd('s4', f.layerA), RequestType: 'Update' }),
    hresult: HRESULT.ERROR_NOT_FOUND,
    says: () => ['VSMB share s4'],
  },
  {
    name: 'removing a share a combined root still uses',
    config: WCOW,
    setup: wcowContainer,
    doc: () => docs.vsmbRemove('s2'),
    hresult: HRESULT.ERROR_BUSY,
    says: () => ['VSMB share s2', 'C:\\c\\1'],
  },
  {
    name: 'unmounting a WCOW scratch that is combined',
    config: WCOW,
    setup: wcowContainer,
    doc: () => docs.wcowScsiRemove(1, 'C:\\c\\1'),
    hresult: HRESULT.ERROR_BUSY,
    says: () => ['C:\\c\\1', 'combined container root'],
  },
  {
    name: 'a WCOW layer path that is not a VSMB path',
    config: WCOW,
    setup: async (h) => {
      await shares(h);
      await wcowScratch(h);
    },
    doc: () => docs.wcowCombine('C:\\c\\1', [{ Id: LAYER_ID_A, Path: 'C:\\layers\\a' }]),
    hresult: HRESULT.E_INVALIDARG,
    says: () => ['C:\\layers\\a', 'VSMB share path'],
  },
  {
    name: 'a WCOW layer whose share does not exist',
    config: WCOW,
    setup: async (h) => {
      await shares(h);
      await wcowScratch(h);
    },
    doc: () => docs.wcowCombine('C:\\c\\1', [{ Id: LAYER_ID_A, Path: vsmbPath('s7') }]),
    hresult: HRESULT.ERROR_PATH_NOT_FOUND,
    says: () => ['s7', 'C:\\c\\1', 'utility VM w1'],
  },
  {
    name: 'a WCOW layer without Id',
    config: WCOW,
    setup: async (h) => {
      await shares(h);
      await wcowScratch(h);
    },
    doc: () => ({
      GuestRequest: {
        ResourceType: 'CombinedLayers',
        RequestType: 'Add',
        Settings: { ContainerRootPath: 'C:\\c\\1', Layers: [{ Path: vsmbPath('s1') }] },
      },
    }),
    hresult: HRESULT.E_INVALIDARG,
    says: () => ['Layers[0].Id', 'required'],
  },
  {
    name: 'a WCOW root that is not a mounted scratch',
    config: WCOW,
    setup: shares,
    doc: () => docs.wcowCombine('C:\\c\\2', [{ Id: LAYER_ID_A, Path: vsmbPath('s1') }]),
    hresult: HRESULT.ERROR_PATH_NOT_FOUND,
    says: () => ['C:\\c\\2', 'mounted scratch'],
  },
  {
    name: 'a WCOW combine over a root already combined (any case)',
    config: WCOW,
    setup: wcowContainer,
    doc: () => docs.wcowCombine('c:\\C\\1', [{ Id: LAYER_ID_A, Path: vsmbPath('s1') }]),
    hresult: HRESULT.ERROR_BUSY,
    says: () => ['C:\\c\\1', 'already'],
  },
];

function runCases(cases: RefusalCase[]): void {
  it.each(cases)('refuses $name', async (c) => {
    const h = await runningUvm(c.config ?? LCOW);
    await c.setup?.(h);
    const before = h.backend.inspect(h.id);
    await expectRefused(
      h.backend.modify(h.id, c.doc() as ModifySettingRequest),
      c.hresult,
      c.says(),
    );
    expect(h.backend.inspect(h.id)).toEqual(before);
  });
}

describe('sim refusals: document envelope', () => runCases(envelopeCases));
describe('sim refusals: settings and guest halves', () => runCases(settingsCases));
describe('sim refusals: SCSI and guest mounts', () => runCases(scsiCases));
describe('sim refusals: vPMEM and multi-mapping', () => runCases(vpmemCases));
describe('sim refusals: LCOW combined layers', () => runCases(lcowCombineCases));
describe('sim refusals: WCOW (reserved slot, VSMB, combine)', () => runCases(wcowCases));

describe('sim refusals: the system', () => {
  it('refuses an unknown UVM id', async () => {
    const h = await runningUvm(LCOW);
    await expectRefused(
      h.backend.modify('nope', docs.vpmemAdd(0, vhd(f.layerA))),
      HRESULT.HCS_E_SYSTEM_NOT_FOUND,
      ['utility VM nope'],
    );
    expect(h.backend.inspect('nope')).toBeUndefined();
  });

  it('refuses to modify a UVM that is not running', async () => {
    const h = await runningUvm(LCOW);
    await h.backend.createUtilityVm({ ...LCOW, id: 'u2' });
    const before = h.backend.inspect('u2');
    await expectRefused(
      h.backend.modify('u2', docs.vpmemAdd(0, vhd(f.layerA))),
      HRESULT.HCS_E_INVALID_STATE,
      ['utility VM u2', 'Created'],
    );
    expect(h.backend.inspect('u2')).toEqual(before);
  });

  it('leaves the host half undone when the guest half is refused', async () => {
    const h = await runningUvm(LCOW);
    await roLayer(h);
    const before = h.backend.inspect(h.id);
    // A valid attach at 0:3 whose guest mount collides with /run/mounts/m1.
    await expectRefused(
      send(h, docs.lcowScsiAdd(0, 3, vhd(f.layerB), true, '/run/mounts/m1')),
      HRESULT.ERROR_BUSY,
      ['/run/mounts/m1'],
    );
    expect(h.backend.inspect(h.id)).toEqual(before);
    expect(h.backend.inspect(h.id)?.scsi['0:3']).toBeUndefined();
  });
});
