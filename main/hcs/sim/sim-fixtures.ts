/**
 * Test helpers for the simulator: real temp files for layers and scratches, a running UVM in a
 * fresh backend, document builders in hcsshim's exact shapes, and a refusal assertion.
 */
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { HcsError, type UvmCreateConfig } from '../backend.js';
import { formatHresult, hresultName } from '../hresult.js';
import { compact, type ModifySettingRequest, type VirtualSmbShareOptions } from '../schema.js';
import { VSMB_GUEST_PREFIX } from './guest-paths.js';
import { createSimBackend, type SimBackend, type SimBackendOptions } from './sim-backend.js';
import { createMemoryPersistence, type SimPersistence } from './sim-persistence.js';

export interface Files {
  root: string;
  /** Folders holding a `layer.vhd` of 8 KiB. */
  layerA: string;
  layerB: string;
  layerC: string;
  /** A folder whose `layer.vhd` is 20 000 bytes (over a 16 KiB vPMEM maximum). */
  bigLayer: string;
  /** Folders holding a `sandbox.vhdx`. */
  scratch: string;
  scratch2: string;
  /** A folder whose `sandbox.vhdx` is a symlink to scratch's (shared scratch). */
  linkedScratch: string;
  /** A plain file inside layerA, for single-file VSMB shares. */
  plainFile: string;
  missing: string;
  cleanup(): void;
}

export const vhd = (folder: string): string => join(folder, 'layer.vhd');
export const sandbox = (folder: string): string => join(folder, 'sandbox.vhdx');

export function makeFiles(): Files {
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'uvm-sim-')));
  const folder = (name: string, file: string, size: number): string => {
    const dir = join(root, name);
    mkdirSync(dir);
    writeFileSync(join(dir, file), Buffer.alloc(size));
    return dir;
  };
  const layerA = folder('layerA', 'layer.vhd', 8192);
  const scratch = folder('scratch', 'sandbox.vhdx', 4096);
  const linkedScratch = join(root, 'linked');
  mkdirSync(linkedScratch);
  symlinkSync(sandbox(scratch), sandbox(linkedScratch));
  const plainFile = join(layerA, 'hosts.txt');
  writeFileSync(plainFile, 'x');
  return {
    root,
    layerA,
    layerB: folder('layerB', 'layer.vhd', 8192),
    layerC: folder('layerC', 'layer.vhd', 8192),
    bigLayer: folder('big', 'layer.vhd', 20_000),
    scratch,
    scratch2: folder('scratch2', 'sandbox.vhdx', 4096),
    linkedScratch,
    plainFile,
    missing: join(root, 'missing', 'layer.vhd'),
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

export const LCOW: UvmCreateConfig = {
  id: 'u1',
  os: 'linux',
  vpmemCount: 4,
  vpmemMaxSizeBytes: 16384,
  scsiControllers: 1,
  physicallyBacked: false,
  vpmemMultiMapping: false,
};

export const WCOW: UvmCreateConfig = { ...LCOW, id: 'w1', os: 'windows' };

export interface Harness {
  backend: SimBackend;
  persistence: SimPersistence;
  id: string;
}

/** A fresh backend over fresh memory persistence, with one created and started UVM. */
export async function runningUvm(
  config: UvmCreateConfig,
  options: Partial<SimBackendOptions> = {},
): Promise<Harness> {
  const persistence = options.persistence ?? createMemoryPersistence();
  const backend = createSimBackend({ ...options, persistence });
  await backend.createUtilityVm(config);
  await backend.startUtilityVm(config.id);
  return { backend, persistence, id: config.id };
}

/** Asserts an HcsError with `hresult` whose message contains every fragment. */
export async function expectRefused(
  promise: Promise<unknown>,
  hresult: number,
  fragments: readonly string[],
): Promise<HcsError> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  expect(caught, 'the call should have been refused').toBeInstanceOf(HcsError);
  const error = caught as HcsError;
  const expected = `${hresultName(hresult) ?? ''} ${formatHresult(hresult)}`;
  const actual = `${hresultName(error.hresult ?? 0) ?? ''} ${formatHresult(error.hresult ?? 0)}`;
  expect(actual, error.message).toBe(expected);
  for (const fragment of fragments) expect(error.message).toContain(fragment);
  return error;
}

/** Documents exactly as the engine (and hcsshim's seed) builds them. */
export const docs = {
  lcowScsiAdd(
    controller: number,
    lun: number,
    path: string,
    readOnly: boolean,
    mountPath?: string,
  ): ModifySettingRequest {
    return compact({
      ResourcePath: `VirtualMachine/Devices/Scsi/${controller}/Attachments/${lun}`,
      RequestType: 'Add',
      Settings: { Type: 'VirtualDisk', Path: path, ReadOnly: readOnly },
      GuestRequest:
        mountPath === undefined
          ? undefined
          : {
              ResourceType: 'MappedVirtualDisk',
              RequestType: 'Add',
              Settings: {
                MountPath: mountPath,
                Lun: lun,
                Controller: controller,
                ReadOnly: readOnly,
                Options: readOnly ? ['ro'] : undefined,
              },
            },
    });
  },
  lcowScsiRemove(controller: number, lun: number, mountPath?: string): ModifySettingRequest {
    return compact({
      ResourcePath: `VirtualMachine/Devices/Scsi/${controller}/Attachments/${lun}`,
      RequestType: 'Remove',
      GuestRequest: {
        ResourceType: 'MappedVirtualDisk',
        RequestType: 'Remove',
        Settings: { MountPath: mountPath, Lun: lun, Controller: controller },
      },
    });
  },
  wcowScsiAdd(lun: number, path: string, containerPath: string): ModifySettingRequest {
    return compact({
      ResourcePath: `VirtualMachine/Devices/Scsi/0/Attachments/${lun}`,
      RequestType: 'Add',
      Settings: { Type: 'VirtualDisk', Path: path },
      GuestRequest: {
        ResourceType: 'MappedVirtualDisk',
        RequestType: 'Add',
        Settings: { ContainerPath: containerPath, Lun: lun },
      },
    });
  },
  wcowScsiRemove(lun: number, containerPath: string): ModifySettingRequest {
    return compact({
      ResourcePath: `VirtualMachine/Devices/Scsi/0/Attachments/${lun}`,
      RequestType: 'Remove',
      GuestRequest: {
        ResourceType: 'MappedVirtualDisk',
        RequestType: 'Remove',
        Settings: { ContainerPath: containerPath, Lun: lun },
      },
    });
  },
  vpmemAdd(device: number, hostPath: string): ModifySettingRequest {
    return compact({
      ResourcePath: `VirtualMachine/Devices/VirtualPMem/Devices/${device}`,
      RequestType: 'Add',
      Settings: { HostPath: hostPath, ReadOnly: true, ImageFormat: 'Vhd1' },
      GuestRequest: {
        ResourceType: 'VPMemDevice',
        RequestType: 'Add',
        Settings: { DeviceNumber: device, MountPath: `/run/layers/p${device}` },
      },
    });
  },
  vpmemRemove(device: number): ModifySettingRequest {
    return compact({
      ResourcePath: `VirtualMachine/Devices/VirtualPMem/Devices/${device}`,
      RequestType: 'Remove',
      GuestRequest: {
        ResourceType: 'VPMemDevice',
        RequestType: 'Remove',
        Settings: { DeviceNumber: device, MountPath: `/run/layers/p${device}` },
      },
    });
  },
  mappingAdd(device: number, offset: number, size: number, hostPath: string): ModifySettingRequest {
    return compact({
      ResourcePath: `VirtualMachine/Devices/VirtualPMem/Devices/${device}/Mappings/${offset}`,
      RequestType: 'Add',
      Settings: { HostPath: hostPath, ImageFormat: 'Vhd1' },
      GuestRequest: {
        ResourceType: 'VPMemDevice',
        RequestType: 'Add',
        Settings: {
          DeviceNumber: device,
          MountPath: `/run/layers/p${device}-${offset}-${size}`,
          MappingInfo: { DeviceOffsetInBytes: offset, DeviceSizeInBytes: size },
        },
      },
    });
  },
  mappingRemove(device: number, offset: number, size: number): ModifySettingRequest {
    return compact({
      ResourcePath: `VirtualMachine/Devices/VirtualPMem/Devices/${device}/Mappings/${offset}`,
      RequestType: 'Remove',
      GuestRequest: {
        ResourceType: 'VPMemDevice',
        RequestType: 'Remove',
        Settings: {
          DeviceNumber: device,
          MountPath: `/run/layers/p${device}-${offset}-${size}`,
          MappingInfo: { DeviceOffsetInBytes: offset, DeviceSizeInBytes: size },
        },
      },
    });
  },
  vsmbAdd(
    name: string,
    path: string,
    options: VirtualSmbShareOptions = LAYER_SHARE_OPTIONS,
  ): ModifySettingRequest {
    return compact({
      ResourcePath: 'VirtualMachine/Devices/VirtualSmb/Shares',
      RequestType: 'Add',
      Settings: { Name: name, Path: path, Options: options },
    });
  },
  vsmbRemove(name: string): ModifySettingRequest {
    return {
      ResourcePath: 'VirtualMachine/Devices/VirtualSmb/Shares',
      RequestType: 'Remove',
      Settings: { Name: name },
    };
  },
  lcowCombine(root: string, layers: string[], scratchPath: string): ModifySettingRequest {
    return {
      GuestRequest: {
        ResourceType: 'CombinedLayers',
        RequestType: 'Add',
        Settings: {
          ContainerRootPath: root,
          Layers: layers.map((Path) => ({ Path })),
          ScratchPath: scratchPath,
        },
      },
    };
  },
  wcowCombine(root: string, layers: { Id: string; Path: string }[]): ModifySettingRequest {
    return {
      GuestRequest: {
        ResourceType: 'CombinedLayers',
        RequestType: 'Add',
        Settings: { ContainerRootPath: root, Layers: layers },
      },
    };
  },
  uncombine(root: string): ModifySettingRequest {
    return {
      GuestRequest: {
        ResourceType: 'CombinedLayers',
        RequestType: 'Remove',
        Settings: { ContainerRootPath: root },
      },
    };
  },
};

/** hcsshim's DefaultVSMBOptions(readOnly=true) plus TakeBackupPrivilege, as for layers. */
export const LAYER_SHARE_OPTIONS: VirtualSmbShareOptions = {
  ReadOnly: true,
  ShareRead: true,
  CacheIo: true,
  PseudoOplocks: true,
  TakeBackupPrivilege: true,
};

export const vsmbPath = (name: string): string => VSMB_GUEST_PREFIX + name;

export const LAYER_ID_A = '4b1d7a3e-9a6b-5d7e-8f00-0123456789ab';
export const LAYER_ID_B = '5c2e8b4f-0b7c-5e8f-9011-123456789abc';
