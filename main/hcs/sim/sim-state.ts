/**
 * The simulator's persisted state: one plain-JSON document per utility VM (the device tree HCS
 * holds plus what the guest sees) and one for the host's wclayer layers. Nothing here may hold a
 * class instance, a Map or undefined-valued keys: states cross processes through the store.
 */
import type { AttachmentType, ImageFormat, VirtualSmbShareOptions } from '../schema.js';
import type { UvmCreateConfig, UvmOs } from '../backend.js';
import { UvmLayersError } from '../../engine/errors.js';

export const SIM_STATE_VERSION = 1;

export type SimRunState = 'Created' | 'Running';

/** The create-time options HCS enforces (vPMEM count and size, SCSI controllers). */
export interface SimLimits {
  scsiControllers: number;
  vpmemCount: number;
  vpmemMaxSizeBytes: number;
  physicallyBacked: boolean;
  vpmemMultiMapping: boolean;
}

/** A SCSI attachment, keyed `"<controller>:<lun>"`. */
export interface SimScsiSlot {
  /** The host path exactly as the document gave it ('' for the UVM's own scratch). */
  path: string;
  readOnly: boolean;
  type: AttachmentType;
  /** Set for slots the UVM holds itself (WCOW scratch at 0:0): never handed out or removed. */
  reserved?: string;
}

export interface SimVpmemMapping {
  hostPath: string;
  sizeBytes: number;
  imageFormat?: ImageFormat;
}

/**
 * A vPMEM device, keyed by its decimal number. A single-VHD device has `hostPath`/`sizeBytes`;
 * a multi-mapping device (created by its first mapping) has `mappings` keyed by decimal offset.
 */
export interface SimVpmemDevice {
  hostPath?: string;
  sizeBytes?: number;
  readOnly?: boolean;
  imageFormat?: ImageFormat;
  mappings?: Record<string, SimVpmemMapping>;
}

/** A VSMB share, keyed by its name. */
export interface SimVsmbShare {
  path: string;
  options: VirtualSmbShareOptions;
  allowedFiles: string[];
}

/** A guest mount, keyed by its guest path. `source` is `scsi 0:3`, `vpmem 2` or `vpmem 0@4194304`. */
export interface SimGuestMount {
  source: string;
  readOnly: boolean;
}

/** A combined container root, keyed by ContainerRootPath. */
export interface SimCombinedRoot {
  /** Guest paths of the layers, in document order (LCOW mounts, WCOW VSMB paths). */
  layers: string[];
  /** WCOW only: the layer ids sent with the layers. */
  layerIds?: string[];
  /** LCOW: the scratch directory; WCOW: the container root itself (the scratch mount). */
  scratchPath: string;
}

export interface SimGuestState {
  mounts: Record<string, SimGuestMount>;
  combined: Record<string, SimCombinedRoot>;
}

export interface SimSystemState {
  version: number;
  id: string;
  os: UvmOs;
  state: SimRunState;
  limits: SimLimits;
  scsi: Record<string, SimScsiSlot>;
  vpmem: Record<string, SimVpmemDevice>;
  vsmb: Record<string, SimVsmbShare>;
  guest: SimGuestState;
  /** Host files granted to this VM (`GrantVmAccess`), as resolved comparison keys. */
  grants: string[];
}

/** A layer activated (and maybe prepared) on the host, keyed by its normalised path. */
export interface SimHostLayer {
  /** The path as the caller gave it on activation. */
  path: string;
  prepared: boolean;
  /** Parent layer paths given to PrepareLayer, base last as the caller ordered them. */
  parents: string[];
  volumePath: string;
}

export interface SimHostState {
  version: number;
  layers: Record<string, SimHostLayer>;
}

/** The purpose shown for the slot a WCOW UVM's own scratch holds. */
export const UVM_SCRATCH_PURPOSE = 'uvm scratch';

/** A freshly created system: WCOW holds SCSI 0:0 for its own scratch, LCOW boots from an initrd. */
export function newSystemState(config: UvmCreateConfig): SimSystemState {
  const scsi: Record<string, SimScsiSlot> = {};
  if (config.os === 'windows') {
    scsi[scsiKey(0, 0)] = {
      path: '',
      readOnly: false,
      type: 'VirtualDisk',
      reserved: UVM_SCRATCH_PURPOSE,
    };
  }
  return {
    version: SIM_STATE_VERSION,
    id: config.id,
    os: config.os,
    state: 'Created',
    limits: {
      scsiControllers: config.scsiControllers,
      vpmemCount: config.vpmemCount,
      vpmemMaxSizeBytes: config.vpmemMaxSizeBytes,
      physicallyBacked: config.physicallyBacked,
      vpmemMultiMapping: config.vpmemMultiMapping,
    },
    scsi,
    vpmem: {},
    vsmb: {},
    guest: { mounts: {}, combined: {} },
    grants: [],
  };
}

export function newHostState(): SimHostState {
  return { version: SIM_STATE_VERSION, layers: {} };
}

export function scsiKey(controller: number, lun: number): string {
  return `${controller}:${lun}`;
}

export function scsiSource(controller: number, lun: number): string {
  return `scsi ${controller}:${lun}`;
}

export function vpmemSource(device: number, offset?: number): string {
  return offset === undefined ? `vpmem ${device}` : `vpmem ${device}@${offset}`;
}

/** Refuses a persisted state this version of the sim does not understand. */
export function checkVersion<T extends { version: number }>(state: T, key: string): T {
  if (state.version !== SIM_STATE_VERSION) {
    throw new UvmLayersError(
      'STORE_VERSION',
      `simulator state ${key} has version ${String(state.version)}; this build reads version ${SIM_STATE_VERSION}`,
    );
  }
  return state;
}
