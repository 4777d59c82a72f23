/**
 * HCS schema v2 documents that the layer engine sends, with the field names and casing HCS uses.
 * Every field is optional because hcsshim marshals them with `omitempty`; `compact` drops the
 * empty ones the same way before a document leaves the engine.
 */

export type RequestType = 'Add' | 'Remove' | 'Update';

export type GuestResourceType =
  | 'MappedVirtualDisk'
  | 'MappedDirectory'
  | 'VPMemDevice'
  | 'CombinedLayers'
  | 'Network'
  | 'NetworkNamespace'
  | 'VPCIDevice'
  | 'HvSocket';

export interface GuestRequest {
  RequestType?: RequestType;
  ResourceType?: GuestResourceType;
  Settings?: unknown;
}

/** The one document `HcsModifyComputeSystem` takes. */
export interface ModifySettingRequest {
  ResourcePath?: string;
  RequestType?: RequestType;
  Settings?: unknown;
  GuestRequest?: GuestRequest;
}

export type AttachmentType = 'VirtualDisk' | 'PassThru' | 'Iso';

export interface Attachment {
  Type?: AttachmentType;
  Path?: string;
  ReadOnly?: boolean;
}

export interface LcowMappedVirtualDisk {
  MountPath?: string;
  Lun?: number;
  Controller?: number;
  ReadOnly?: boolean;
  Options?: string[];
}

export interface WcowMappedVirtualDisk {
  ContainerPath?: string;
  Lun?: number;
}

export type ImageFormat = 'Vhd1' | 'Vhdx';

export interface VirtualPMemDevice {
  HostPath?: string;
  ReadOnly?: boolean;
  ImageFormat?: ImageFormat;
}

export interface VirtualPMemMapping {
  HostPath?: string;
  ImageFormat?: ImageFormat;
}

export interface LcowVPMemMappingInfo {
  DeviceOffsetInBytes?: number;
  DeviceSizeInBytes?: number;
}

export interface LcowMappedVPMemDevice {
  DeviceNumber?: number;
  MountPath?: string;
  MappingInfo?: LcowVPMemMappingInfo;
}

export interface VirtualSmbShareOptions {
  ReadOnly?: boolean;
  ShareRead?: boolean;
  CacheIo?: boolean;
  NoOplocks?: boolean;
  TakeBackupPrivilege?: boolean;
  UseShareRootIdentity?: boolean;
  NoDirectmap?: boolean;
  NoLocks?: boolean;
  NoDirnotify?: boolean;
  VmSharedMemory?: boolean;
  RestrictFileAccess?: boolean;
  ForceLevelIIOplocks?: boolean;
  ReparseBaseLayer?: boolean;
  PseudoOplocks?: boolean;
  NonCacheIo?: boolean;
  PseudoDirnotify?: boolean;
  SingleFileMapping?: boolean;
}

export const VSMB_OPTION_NAMES: readonly (keyof VirtualSmbShareOptions)[] = [
  'ReadOnly',
  'ShareRead',
  'CacheIo',
  'NoOplocks',
  'TakeBackupPrivilege',
  'UseShareRootIdentity',
  'NoDirectmap',
  'NoLocks',
  'NoDirnotify',
  'VmSharedMemory',
  'RestrictFileAccess',
  'ForceLevelIIOplocks',
  'ReparseBaseLayer',
  'PseudoOplocks',
  'NonCacheIo',
  'PseudoDirnotify',
  'SingleFileMapping',
];

export interface VirtualSmbShare {
  Name?: string;
  Path?: string;
  AllowedFiles?: string[];
  Options?: VirtualSmbShareOptions;
}

export interface Layer {
  Id?: string;
  Path?: string;
  PathType?: string;
  Cache?: string;
}

export interface CombinedLayers {
  ContainerRootPath?: string;
  Layers?: Layer[];
  ScratchPath?: string;
}

/** Resource path formats, exactly as hcsshim writes them (controller key = decimal index). */
export const resourcePaths = {
  scsi: (controller: number, lun: number): string =>
    `VirtualMachine/Devices/Scsi/${controller}/Attachments/${lun}`,
  vpmemDevice: (device: number): string => `VirtualMachine/Devices/VirtualPMem/Devices/${device}`,
  vpmemMapping: (device: number, offset: number): string =>
    `VirtualMachine/Devices/VirtualPMem/Devices/${device}/Mappings/${offset}`,
  vsmbShares: 'VirtualMachine/Devices/VirtualSmb/Shares',
  plan9Shares: 'VirtualMachine/Devices/Plan9/Shares',
} as const;

/**
 * Drops what Go's `omitempty` drops: undefined, null, false, 0, "" and empty arrays, at every
 * depth. Objects are kept even when empty (non-pointer structs are never omitted).
 */
export function compact<T>(value: T): T {
  return compactValue(value) as T;
}

function compactValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(compactValue);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value as Record<string, unknown>)) {
    if (isEmpty(field)) continue;
    out[key] = compactValue(field);
  }
  return out;
}

function isEmpty(field: unknown): boolean {
  return (
    field === undefined ||
    field === null ||
    field === false ||
    field === 0 ||
    field === '' ||
    (Array.isArray(field) && field.length === 0)
  );
}
