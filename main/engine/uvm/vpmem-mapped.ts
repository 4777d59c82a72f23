/**
 * Multi-mapped vPMEM (HCS-SPEC §6): layers packed into 4 GiB devices by the buddy allocator,
 * each mounted at /run/layers/p<device>-<offset>-<size>. Every hot-add goes through the
 * device's Mappings path (hcsshim's observed behaviour); the host device is never removed, and
 * a device whose mappings are all released is free again for the allocator.
 */
import { UvmLayersError, withContext } from '../errors.js';
import { mappingAdd, mappingRemove } from './documents.js';
import { guestPaths } from '../paths.js';
import { allocate, newPool, pageAlign, release, sizeClass } from './memory-pool.js';
import type { UvmRecord, VpmemMappedDevice, VpmemMapping } from './record.js';
import { dropReference } from './ref-count.js';
import { sendModify, type RequestSender } from './request-sender.js';

export const MAX_MAPPINGS_PER_DEVICE = 1024;

export function mappedDevice(device: number, offset: number): string {
  return `${device}@${offset}`;
}

export class VpmemMappedManager {
  constructor(
    private readonly record: UvmRecord,
    private readonly sender: RequestSender,
  ) {}

  findByHostPath(
    hostPath: string,
  ): { device: VpmemMappedDevice; mapping: VpmemMapping } | undefined {
    for (const device of this.record.vpmemMapped) {
      const mapping = device.mappings.find((m) => m.hostPath === hostPath);
      if (mapping) return { device, mapping };
    }
    return undefined;
  }

  async add(
    hostPath: string,
    fileSize: number,
  ): Promise<{ device: number; mapping: VpmemMapping }> {
    const existing = this.findByHostPath(hostPath);
    if (existing) {
      existing.mapping.refCount++;
      return { device: existing.device.device, mapping: existing.mapping };
    }
    const size = pageAlign(fileSize);
    const placed = this.place(size);
    if (!placed) {
      throw new UvmLayersError(
        'NO_AVAILABLE_LOCATION',
        `no available location: no vPMEM device of utility VM ${this.record.id} has ${size} bytes free for ${hostPath}`,
      );
    }
    const { device, offset, isNewDevice } = placed;
    const mapping: VpmemMapping = {
      offset,
      sizeBytes: size,
      hostPath,
      uvmPath: guestPaths.vpmemMapped(device.device, offset, size),
      refCount: 1,
    };
    try {
      await this.sender.modify(
        mappingAdd(device.device, mapping),
        mappingRemove(device.device, mapping),
        `Add vPMEM mapping ${mappedDevice(device.device, offset)}: ${hostPath} → ${mapping.uvmPath}`,
      );
    } catch (error) {
      release(device.pool, offset, sizeClass(size));
      if (isNewDevice)
        this.record.vpmemMapped = this.record.vpmemMapped.filter((d) => d !== device);
      throw withContext(
        `failed to add vPMEM mapping at device ${device.device} offset ${offset} (${hostPath}) to utility VM ${this.record.id}`,
        error,
      );
    }
    device.mappings.push(mapping);
    device.mappings.sort((a, b) => a.offset - b.offset);
    return { device: device.device, mapping };
  }

  async release(deviceNumber: number, offset: number): Promise<void> {
    const device = this.record.vpmemMapped.find((d) => d.device === deviceNumber);
    const mapping = device?.mappings.find((m) => m.offset === offset);
    if (!device || !mapping) {
      throw new UvmLayersError(
        'NOT_ATTACHED',
        `no vPMEM mapping at device ${deviceNumber} offset ${offset} in utility VM ${this.record.id}`,
      );
    }
    await dropReference(
      mapping,
      () =>
        sendModify(
          this.sender,
          mappingRemove(deviceNumber, mapping),
          mappingAdd(deviceNumber, mapping),
          `Remove vPMEM mapping ${mappedDevice(deviceNumber, offset)}: ${mapping.hostPath}`,
          `failed to remove packed vPMEM ${mapping.hostPath} at device ${deviceNumber} offset ${offset} from utility VM ${this.record.id} (it stays mapped with ref count 1)`,
        ),
      () => {
        release(device.pool, offset, sizeClass(mapping.sizeBytes));
        device.mappings = device.mappings.filter((m) => m !== mapping);
        if (device.mappings.length === 0) {
          this.record.vpmemMapped = this.record.vpmemMapped.filter((d) => d !== device);
        }
      },
    );
  }

  /** First device, in number order, whose pool has room; allocates the region in place. */
  private place(
    size: number,
  ): { device: VpmemMappedDevice; offset: number; isNewDevice: boolean } | undefined {
    if (sizeClass(size) > 6) return undefined;
    for (let n = 0; n < this.record.options.vpmemCount; n++) {
      let device = this.record.vpmemMapped.find((d) => d.device === n);
      const isNewDevice = !device;
      device ??= { device: n, pool: newPool(), mappings: [] };
      if (device.mappings.length >= MAX_MAPPINGS_PER_DEVICE) continue;
      try {
        const { offset } = allocate(device.pool, size);
        if (isNewDevice) {
          this.record.vpmemMapped.push(device);
          this.record.vpmemMapped.sort((a, b) => a.device - b.device);
        }
        return { device, offset, isNewDevice };
      } catch {
        continue;
      }
    }
    return undefined;
  }
}
