/**
 * The persisted bookkeeping of one utility VM: every device the engine attached, its slot and
 * ref count, the combined roots and the container ledger. Plain JSON, so the store can hold it
 * and any process can pick it up.
 */
import type { BackendName, UvmOs } from '../../hcs/backend.js';
import type { VirtualSmbShareOptions } from '../../hcs/schema.js';
import type { LayerDeviceKind, ReservedView, UvmOptions } from '../views.js';
import type { PoolState } from './memory-pool.js';

export type VmAccess = 'noop' | 'individual';

export interface ScsiAttachment {
  controller: number;
  lun: number;
  /** Normalised host path: the key, with readOnly. */
  hostPath: string;
  readOnly: boolean;
  /** The guest path of the first mount; later adders get this one. */
  uvmPath: string;
  refCount: number;
  access: VmAccess;
}

export interface VpmemDevice {
  device: number;
  hostPath: string;
  uvmPath: string;
  sizeBytes: number;
  refCount: number;
}

export interface VpmemMapping {
  offset: number;
  /** Page-aligned file size: the guest path's size and DeviceSizeInBytes. */
  sizeBytes: number;
  hostPath: string;
  uvmPath: string;
  refCount: number;
}

export interface VpmemMappedDevice {
  device: number;
  pool: PoolState;
  mappings: VpmemMapping[];
}

export interface VsmbShare {
  name: string;
  hostPath: string;
  readOnly: boolean;
  uvmPath: string;
  options: VirtualSmbShareOptions;
  refCount: number;
}

export interface CombinedRoot {
  containerRootPath: string;
  layers: { id?: string; path: string }[];
  scratchPath: string;
}

/** Which device a container's layer went to: enough to release it without guessing (B12). */
export interface LayerHolding {
  folder: string;
  kind: LayerDeviceKind;
  hostPath: string;
  /** scsi "c:l", vpmem "n", mapped "n@offset", vsmb share name, host layer id. */
  device: string;
  uvmPath: string;
  released: boolean;
}

export interface ScratchHolding {
  folder: string;
  hostPath: string;
  device: string;
  /** The scratch path handed to the combine (shared scratch: a subfolder). */
  uvmPath: string;
  released: boolean;
}

export interface ContainerRecord {
  guestRoot: string;
  rootfs: string;
  combinedRoot: string;
  combined: boolean;
  scratch: ScratchHolding;
  layers: LayerHolding[];
}

export interface UvmCounters {
  /** Last value handed out by the mount counter (first call returns 1). */
  mount: number;
  /** Last VSMB share counter value (first share is s1). */
  vsmb: number;
}

export interface UvmRecord {
  id: string;
  os: UvmOs;
  /** The backend that created the VM: only it can change it. */
  backend: BackendName;
  state: string;
  options: UvmOptions;
  counters: UvmCounters;
  reserved: ReservedView[];
  scsi: ScsiAttachment[];
  vpmem: VpmemDevice[];
  vpmemMapped: VpmemMappedDevice[];
  vsmb: VsmbShare[];
  combined: CombinedRoot[];
  containers: ContainerRecord[];
  /** Id of the operation that wrote this record (crash recovery tells committed from not). */
  lastOp?: string;
}

export function newUvmRecord(
  id: string,
  os: UvmOs,
  options: UvmOptions,
  backend: BackendName = 'sim',
): UvmRecord {
  return {
    id,
    os,
    backend,
    state: 'Running',
    options,
    counters: { mount: 0, vsmb: 0 },
    // WCOW UVMs keep their own scratch at 0:0; LCOW boots from an initrd and holds no slot.
    reserved:
      os === 'windows' ? [{ kind: 'scsi', controller: 0, lun: 0, purpose: 'uvm scratch' }] : [],
    scsi: [],
    vpmem: [],
    vpmemMapped: [],
    vsmb: [],
    combined: [],
    containers: [],
  };
}

/** Host (Argon) containers: no VM, just the wclayer state of each scratch folder. */
export interface HostRecord {
  containers: ContainerRecord[];
  lastOp?: string;
}
