/**
 * vPMEM devices of an LCOW UVM, one layer per device (the default): first free device number,
 * ref-counted by host path, mounted at /run/layers/p<n>. The two sentinel failures
 * (no device free, layer too large) are raised before any request, so the caller can fall
 * back to SCSI with nothing to undo.
 */
import { UvmLayersError } from '../errors.js';
import { vpmemAdd, vpmemRemove } from './documents.js';
import { guestPaths } from '../paths.js';
import type { UvmRecord, VpmemDevice } from './record.js';
import { dropReference } from './ref-count.js';
import { sendModify, type RequestSender } from './request-sender.js';

export class VpmemManager {
  constructor(
    private readonly record: UvmRecord,
    private readonly sender: RequestSender,
  ) {}

  async add(hostPath: string, sizeBytes: number): Promise<VpmemDevice> {
    const existing = this.record.vpmem.find((d) => d.hostPath === hostPath);
    if (existing) {
      existing.refCount++;
      return existing;
    }
    const max = this.record.options.vpmemMaxSizeBytes;
    if (sizeBytes > max) {
      throw new UvmLayersError(
        'VPMEM_LAYER_TOO_LARGE',
        `layer size is to large for VPMEM max size: ${hostPath} is ${sizeBytes} bytes, utility VM ${this.record.id} allows ${max}`,
      );
    }
    const device = this.freeDevice();
    if (device === undefined) {
      throw new UvmLayersError(
        'NO_AVAILABLE_LOCATION',
        `no available location: all ${this.record.options.vpmemCount} vPMEM devices of utility VM ${this.record.id} are in use`,
      );
    }
    const entry: VpmemDevice = {
      device,
      hostPath,
      uvmPath: guestPaths.vpmem(device),
      sizeBytes,
      refCount: 1,
    };
    await sendModify(
      this.sender,
      vpmemAdd(entry),
      vpmemRemove(entry),
      `Add vPMEM device ${device}: ${hostPath} → ${entry.uvmPath}`,
      `failed to add vPMEM device ${device} (${hostPath}) to utility VM ${this.record.id}`,
    );
    this.record.vpmem.push(entry);
    this.record.vpmem.sort((a, b) => a.device - b.device);
    return entry;
  }

  async release(device: number): Promise<void> {
    const entry = this.record.vpmem.find((d) => d.device === device);
    if (!entry) {
      throw new UvmLayersError(
        'NOT_ATTACHED',
        `vPMEM device ${device} is not attached to utility VM ${this.record.id}`,
      );
    }
    await dropReference(
      entry,
      () =>
        sendModify(
          this.sender,
          vpmemRemove(entry),
          vpmemAdd(entry),
          `Remove vPMEM device ${device}: ${entry.hostPath}`,
          `failed to remove vPMEM device ${device} (${entry.hostPath}) from utility VM ${this.record.id} (it stays attached with ref count 1)`,
        ),
      () => (this.record.vpmem = this.record.vpmem.filter((d) => d !== entry)),
    );
  }

  private freeDevice(): number | undefined {
    const used = new Set(this.record.vpmem.map((d) => d.device));
    for (let n = 0; n < this.record.options.vpmemCount; n++) if (!used.has(n)) return n;
    return undefined;
  }
}
