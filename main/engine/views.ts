/**
 * The JSON shapes the engine hands to its callers (CLI `--json`, IPC, the web bridge),
 * exactly as DESIGN.md specifies them.
 */
import type { UvmOs } from '../hcs/backend.js';

export interface UvmOptions {
  vpmemCount: number;
  vpmemMaxSizeBytes: number;
  scsiControllers: number;
  physicallyBacked: boolean;
  vpmemMultiMapping: boolean;
}

export interface ScsiView {
  controller: number;
  lun: number;
  hostPath: string;
  uvmPath: string;
  readOnly: boolean;
  refCount: number;
}

export interface VpmemMappingView {
  offset: number;
  sizeBytes: number;
  hostPath: string;
  uvmPath: string;
  refCount: number;
}

export interface VpmemView {
  device: number;
  hostPath: string | null;
  uvmPath: string | null;
  sizeBytes: number;
  refCount: number;
  mappings: VpmemMappingView[];
}

export interface VsmbView {
  name: string;
  hostPath: string;
  uvmPath: string;
  readOnly: boolean;
  refCount: number;
  options: Record<string, boolean>;
}

export interface CombinedLayersView {
  containerRootPath: string;
  layers: string[];
  scratchPath: string;
}

export interface ReservedView {
  kind: 'scsi';
  controller: number;
  lun: number;
  purpose: string;
}

export interface UvmView {
  id: string;
  os: UvmOs;
  state: string;
  options: UvmOptions;
  scsi: ScsiView[];
  vpmem: VpmemView[];
  vsmb: VsmbView[];
  combinedLayers: CombinedLayersView[];
  reserved: ReservedView[];
}

export interface UvmSummary {
  id: string;
  os: UvmOs;
  state: string;
  scsi: number;
  vpmem: number;
  vsmb: number;
  containers: number;
  /**
   * Set for compute systems HCS reports that uvm-layers did not create: HCS cannot list their
   * devices, so they have no device view.
   */
  external?: { systemType: string; owner: string };
}

/** `host`: a parent layer of a process-isolated (Argon) container, prepared on the host. */
export type LayerDeviceKind = 'vpmem' | 'mapped' | 'scsi' | 'vsmb' | 'host';

export interface ContainerLayerView {
  folder: string;
  kind: LayerDeviceKind;
  device: string;
  uvmPath: string;
  released: boolean;
}

export interface ContainerView {
  uvm: string | null;
  guestRoot: string;
  rootfs: string;
  scratch: { hostPath: string; device: string; released: boolean };
  layers: ContainerLayerView[];
}

/** One entry of a mounted container's merged root, with the layer it comes from (qemu). */
export interface FileEntryView {
  name: string;
  type: 'file' | 'dir' | 'symlink' | 'char' | 'block' | 'fifo' | 'socket';
  size: number;
  /** The layer folder that provides the entry, or `scratch` for the container's own writes. */
  origin: string;
  /** A whiteout: the entry is deleted from the layers below `origin`. */
  whiteout: boolean;
}

/** What a backend that can read back its VM (qemu) really holds, against the ledger. */
export interface VerifyReport {
  uvm: string;
  /** Running, Stopped (its VM is gone), Created. */
  state: string;
  mismatches: {
    kind: string;
    subject: string;
    expected?: string;
    actual?: string;
    message: string;
  }[];
  /** vPMEM devices removed from the guest but still plugged: QEMU cannot unplug virtio-pmem. */
  parkedVpmem: { device: number | null; hostPath: string | null; sizeBytes: number }[];
}

export interface LogEntry {
  seq: number;
  time: string;
  uvm: string | null;
  request: unknown;
  ok: boolean;
  error?: { code: string; message: string; hresult?: string };
  ms: number;
}
