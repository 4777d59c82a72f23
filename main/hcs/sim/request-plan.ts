/**
 * A ModifySettingRequest after parsing: at most one host change and one guest change, each with
 * typed, checked fields. Parsing knows nothing of the UVM's devices; the handlers do.
 */
import type { AttachmentType, ImageFormat, VirtualSmbShareOptions } from '../schema.js';

export type HostChange =
  | {
      kind: 'scsi-add';
      controller: number;
      lun: number;
      path: string;
      type: AttachmentType;
      readOnly: boolean;
    }
  | { kind: 'scsi-remove'; controller: number; lun: number }
  | {
      kind: 'vpmem-add';
      device: number;
      hostPath: string;
      readOnly: boolean;
      imageFormat?: ImageFormat;
    }
  | { kind: 'vpmem-remove'; device: number }
  | {
      kind: 'mapping-add';
      device: number;
      offset: number;
      hostPath: string;
      imageFormat?: ImageFormat;
      /** From the guest half's MappingInfo; the page-aligned file size when there is none. */
      sizeBytes?: number;
    }
  | { kind: 'mapping-remove'; device: number; offset: number }
  | {
      kind: 'vsmb-add' | 'vsmb-update';
      name: string;
      path: string;
      options: VirtualSmbShareOptions;
      allowedFiles: string[];
    }
  | { kind: 'vsmb-remove'; name: string };

export interface GuestLayerRef {
  path: string;
  id?: string;
}

export interface MappingInfo {
  offset: number;
  sizeBytes: number;
}

export type GuestChange =
  | {
      kind: 'disk-mount';
      controller: number;
      lun: number;
      mountPath: string;
      /** LCOW: ReadOnly or an `ro` option; WCOW: undefined (follows the attachment). */
      readOnly: boolean | undefined;
    }
  | { kind: 'disk-unmount'; controller: number; lun: number; mountPath?: string }
  | { kind: 'vpmem-mount'; device: number; mountPath: string; mapping?: MappingInfo }
  | {
      kind: 'vpmem-unmount';
      device: number;
      mountPath: string;
      mapping?: { offset: number; sizeBytes?: number };
    }
  | { kind: 'combine'; root: string; layers: GuestLayerRef[]; scratchPath?: string }
  | { kind: 'uncombine'; root: string };

export interface ModifyPlan {
  /** The top-level RequestType; undefined for guest-only documents. */
  requestType?: 'Add' | 'Remove' | 'Update';
  host?: HostChange;
  guest?: GuestChange;
}
