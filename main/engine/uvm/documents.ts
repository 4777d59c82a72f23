/**
 * The HCS documents of each device change, as data: one ModifySettingRequest carrying the host
 * settings and the guest request together (seed hcsshim), `omitempty` applied. Each remove is
 * also the undo of its add, and the other way round.
 */
import type { UvmOs } from '../../hcs/backend.js';
import { compact, resourcePaths, type ModifySettingRequest } from '../../hcs/schema.js';
import type {
  CombinedRoot,
  ScsiAttachment,
  VpmemDevice,
  VpmemMapping,
  VsmbShare,
} from './record.js';

type ScsiSlot = Pick<ScsiAttachment, 'controller' | 'lun' | 'hostPath' | 'readOnly' | 'uvmPath'>;

export function scsiAdd(os: UvmOs, a: ScsiSlot): ModifySettingRequest {
  return compact({
    ResourcePath: resourcePaths.scsi(a.controller, a.lun),
    RequestType: 'Add',
    Settings: { Type: 'VirtualDisk', Path: a.hostPath, ReadOnly: a.readOnly },
    GuestRequest: {
      ResourceType: 'MappedVirtualDisk',
      RequestType: 'Add',
      Settings:
        os === 'windows'
          ? { ContainerPath: a.uvmPath, Lun: a.lun }
          : {
              MountPath: a.uvmPath,
              Lun: a.lun,
              Controller: a.controller,
              ReadOnly: a.readOnly,
              Options: a.readOnly ? ['ro'] : undefined,
            },
    },
  });
}

/** The guest eject always goes with the remove, with the settings of the UVM's OS (B11). */
export function scsiRemove(os: UvmOs, a: ScsiSlot): ModifySettingRequest {
  return compact({
    ResourcePath: resourcePaths.scsi(a.controller, a.lun),
    RequestType: 'Remove',
    GuestRequest: {
      ResourceType: 'MappedVirtualDisk',
      RequestType: 'Remove',
      Settings:
        os === 'windows'
          ? { ContainerPath: a.uvmPath, Lun: a.lun }
          : { MountPath: a.uvmPath, Lun: a.lun, Controller: a.controller },
    },
  });
}

type PmemDevice = Pick<VpmemDevice, 'device' | 'hostPath' | 'uvmPath'>;

export function vpmemAdd(d: PmemDevice): ModifySettingRequest {
  return compact({
    ResourcePath: resourcePaths.vpmemDevice(d.device),
    RequestType: 'Add',
    Settings: { HostPath: d.hostPath, ReadOnly: true, ImageFormat: 'Vhd1' },
    GuestRequest: {
      ResourceType: 'VPMemDevice',
      RequestType: 'Add',
      Settings: { DeviceNumber: d.device, MountPath: d.uvmPath },
    },
  });
}

export function vpmemRemove(d: PmemDevice): ModifySettingRequest {
  return compact({
    ResourcePath: resourcePaths.vpmemDevice(d.device),
    RequestType: 'Remove',
    GuestRequest: {
      ResourceType: 'VPMemDevice',
      RequestType: 'Remove',
      Settings: { DeviceNumber: d.device, MountPath: d.uvmPath },
    },
  });
}

function mappingGuestSettings(device: number, m: VpmemMapping): Record<string, unknown> {
  return {
    DeviceNumber: device,
    MountPath: m.uvmPath,
    MappingInfo: { DeviceOffsetInBytes: m.offset, DeviceSizeInBytes: m.sizeBytes },
  };
}

/** Every multi-mapped hot-add goes through the device's Mappings path (HCS-SPEC §6). */
export function mappingAdd(device: number, m: VpmemMapping): ModifySettingRequest {
  return compact({
    ResourcePath: resourcePaths.vpmemMapping(device, m.offset),
    RequestType: 'Add',
    Settings: { HostPath: m.hostPath, ImageFormat: 'Vhd1' },
    GuestRequest: {
      ResourceType: 'VPMemDevice',
      RequestType: 'Add',
      Settings: mappingGuestSettings(device, m),
    },
  });
}

export function mappingRemove(device: number, m: VpmemMapping): ModifySettingRequest {
  return compact({
    ResourcePath: resourcePaths.vpmemMapping(device, m.offset),
    RequestType: 'Remove',
    GuestRequest: {
      ResourceType: 'VPMemDevice',
      RequestType: 'Remove',
      Settings: mappingGuestSettings(device, m),
    },
  });
}

export function vsmbAdd(s: VsmbShare): ModifySettingRequest {
  return compact({
    ResourcePath: resourcePaths.vsmbShares,
    RequestType: 'Add',
    Settings: { Name: s.name, Path: s.hostPath, Options: s.options },
  });
}

export function vsmbRemove(s: Pick<VsmbShare, 'name'>): ModifySettingRequest {
  return compact({
    ResourcePath: resourcePaths.vsmbShares,
    RequestType: 'Remove',
    Settings: { Name: s.name },
  });
}

export function combineAdd(os: UvmOs, root: CombinedRoot): ModifySettingRequest {
  const wcow = os === 'windows';
  return compact({
    GuestRequest: {
      ResourceType: 'CombinedLayers',
      RequestType: 'Add',
      Settings: {
        ContainerRootPath: root.containerRootPath,
        Layers: root.layers.map((l) => (wcow ? { Id: l.id, Path: l.path } : { Path: l.path })),
        // The Windows GCS ignores ScratchPath; hcsshim leaves it out for WCOW.
        ScratchPath: wcow ? undefined : root.scratchPath,
      },
    },
  });
}

export function combineRemove(containerRootPath: string): ModifySettingRequest {
  return compact({
    GuestRequest: {
      ResourceType: 'CombinedLayers',
      RequestType: 'Remove',
      Settings: { ContainerRootPath: containerRootPath },
    },
  });
}
