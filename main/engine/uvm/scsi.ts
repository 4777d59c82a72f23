/**
 * SCSI slots of one UVM: controllers × 64 LUNs, first free slot by controller then LUN, one
 * attachment per (host path, read-only) shared through a ref count. The host attach and the
 * guest mount travel in one document (seed); removal sends the guest eject first.
 */
import { UvmLayersError, withContext } from '../errors.js';
import { scsiAdd, scsiRemove } from './documents.js';
import type { ScsiAttachment, UvmRecord, VmAccess } from './record.js';
import { dropReference } from './ref-count.js';
import { sendModify, type RequestSender } from './request-sender.js';

export const LUNS_PER_CONTROLLER = 64;

export function scsiDevice(a: { controller: number; lun: number }): string {
  return `${a.controller}:${a.lun}`;
}

export class ScsiManager {
  constructor(
    private readonly record: UvmRecord,
    private readonly sender: RequestSender,
  ) {}

  find(hostPath: string, readOnly: boolean): ScsiAttachment | undefined {
    return this.record.scsi.find((a) => a.hostPath === hostPath && a.readOnly === readOnly);
  }

  /**
   * Attaches `hostPath` (normalised) and mounts it at `uvmPath`, or takes another reference on
   * the existing attachment, whose first guest path is what the caller must use.
   */
  async add(
    hostPath: string,
    uvmPath: string,
    readOnly: boolean,
    access: VmAccess,
  ): Promise<{ attachment: ScsiAttachment; existed: boolean }> {
    const existing = this.find(hostPath, readOnly);
    if (existing) {
      existing.refCount++;
      return { attachment: existing, existed: true };
    }
    const slot = this.freeSlot();
    if (!slot) {
      const total = this.record.options.scsiControllers * LUNS_PER_CONTROLLER;
      throw new UvmLayersError(
        'NO_AVAILABLE_LOCATION',
        `no available location: all ${total} SCSI slots of utility VM ${this.record.id} are in use; unmount a container or create the UVM with more --scsi-controllers`,
      );
    }
    const attachment: ScsiAttachment = {
      ...slot,
      hostPath,
      readOnly,
      uvmPath,
      refCount: 1,
      access,
    };
    const where = `SCSI disk ${hostPath} to utility VM ${this.record.id} at controller ${slot.controller} lun ${slot.lun}`;
    if (access === 'individual') {
      try {
        await this.sender.grantVmAccess(hostPath, `Grant VM access to ${hostPath}`);
      } catch (error) {
        throw withContext(`failed to grant VM access for SCSI mount ${hostPath}`, error);
      }
    }
    await sendModify(
      this.sender,
      scsiAdd(this.record.os, attachment),
      scsiRemove(this.record.os, attachment),
      `Add SCSI ${scsiDevice(slot)} ${readOnly ? 'read-only' : 'read-write'}: ${hostPath} → ${uvmPath}`,
      `failed to add ${where}`,
    );
    this.record.scsi.push(attachment);
    this.record.scsi.sort((a, b) => a.controller - b.controller || a.lun - b.lun);
    return { attachment, existed: false };
  }

  /** Drops one reference; the last one detaches. A failed remove keeps the device and its count. */
  async release(hostPath: string, readOnly: boolean): Promise<void> {
    const attachment = this.find(hostPath, readOnly);
    if (!attachment) {
      throw new UvmLayersError(
        'NOT_ATTACHED',
        `SCSI disk ${hostPath} is not attached to utility VM ${this.record.id}`,
      );
    }
    await dropReference(
      attachment,
      () =>
        sendModify(
          this.sender,
          scsiRemove(this.record.os, attachment),
          scsiAdd(this.record.os, attachment),
          `Remove SCSI ${scsiDevice(attachment)}: ${hostPath}`,
          `failed to remove SCSI disk ${hostPath} at controller ${attachment.controller} lun ${attachment.lun} from utility VM ${this.record.id} (it stays attached with ref count 1)`,
        ),
      () => (this.record.scsi = this.record.scsi.filter((a) => a !== attachment)),
    );
  }

  private freeSlot(): { controller: number; lun: number } | undefined {
    const used = new Set<string>([
      ...this.record.scsi.map(scsiDevice),
      ...this.record.reserved.map(scsiDevice),
    ]);
    for (let controller = 0; controller < this.record.options.scsiControllers; controller++) {
      for (let lun = 0; lun < LUNS_PER_CONTROLLER; lun++) {
        if (!used.has(`${controller}:${lun}`)) return { controller, lun };
      }
    }
    return undefined;
  }
}
