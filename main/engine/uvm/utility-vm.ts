/**
 * One utility VM as the layer functions see it: the resource managers over its record, and the
 * device choice for each kind of layer (LCOW: vPMEM, falling back to SCSI only on the two
 * sentinel failures; WCOW: VSMB; the scratch: SCSI).
 */
import * as fs from 'node:fs';
import { isErrorCode, withContext } from '../errors.js';
import { guestPaths, layerVhdPath, normalizeHostPath } from '../paths.js';
import { CombinedLayersManager } from './combined-layers.js';
import type { LayerHolding, ScratchHolding, UvmRecord } from './record.js';
import type { RequestSender } from './request-sender.js';
import { ScsiManager, scsiDevice } from './scsi.js';
import { VpmemManager } from './vpmem.js';
import { VpmemMappedManager, mappedDevice } from './vpmem-mapped.js';
import { VsmbManager, defaultVsmbOptions } from './vsmb.js';

export class UtilityVm {
  readonly scsi: ScsiManager;
  readonly vpmem: VpmemManager;
  readonly vpmemMapped: VpmemMappedManager;
  readonly vsmb: VsmbManager;
  readonly combinedLayers: CombinedLayersManager;

  constructor(
    readonly record: UvmRecord,
    sender: RequestSender,
  ) {
    this.scsi = new ScsiManager(record, sender);
    this.vpmem = new VpmemManager(record, sender);
    this.vpmemMapped = new VpmemMappedManager(record, sender);
    this.vsmb = new VsmbManager(record, sender);
    this.combinedLayers = new CombinedLayersManager(record, sender);
  }

  get id(): string {
    return this.record.id;
  }

  get isWindows(): boolean {
    return this.record.os === 'windows';
  }

  /** The per-UVM mount counter: starts at 1, consumed on every SCSI fallback, never reused. */
  nextMountCounter(): number {
    return ++this.record.counters.mount;
  }

  /** Attaches one read-only LCOW layer (`<folder>/layer.vhd`). */
  async addLcowLayer(folder: string): Promise<LayerHolding> {
    const hostPath = normalizeHostPath(layerVhdPath(folder));
    const { options } = this.record;
    if (!options.physicallyBacked) {
      try {
        const size = fs.statSync(hostPath).size;
        if (options.vpmemMultiMapping) {
          const { device, mapping } = await this.vpmemMapped.add(hostPath, size);
          return holding(
            folder,
            'mapped',
            hostPath,
            mappedDevice(device, mapping.offset),
            mapping.uvmPath,
          );
        }
        const device = await this.vpmem.add(hostPath, size);
        return holding(folder, 'vpmem', hostPath, String(device.device), device.uvmPath);
      } catch (error) {
        if (
          !isErrorCode(error, 'NO_AVAILABLE_LOCATION') &&
          !isErrorCode(error, 'VPMEM_LAYER_TOO_LARGE')
        ) {
          throw withContext('failed to add VPMEM layer', error);
        }
      }
    }
    const requested = guestPaths.scsiMount(this.nextMountCounter());
    try {
      const { attachment } = await this.scsi.add(hostPath, requested, true, 'noop');
      return holding(folder, 'scsi', hostPath, scsiDevice(attachment), attachment.uvmPath);
    } catch (error) {
      throw withContext('failed to add SCSI layer', error);
    }
  }

  /** Shares one read-only WCOW layer folder over VSMB. */
  async addWcowLayer(folder: string): Promise<LayerHolding> {
    const hostPath = normalizeHostPath(folder);
    const options = {
      ...defaultVsmbOptions(true, this.record.options.physicallyBacked),
      TakeBackupPrivilege: true,
    };
    try {
      const share = await this.vsmb.add(hostPath, true, options);
      return holding(folder, 'vsmb', hostPath, share.name, share.uvmPath);
    } catch (error) {
      throw withContext('failed to add VSMB layer', error);
    }
  }

  /** Releases what a layer holding took, by the device recorded for it (no guessing, B12). */
  async releaseLayer(layer: LayerHolding): Promise<void> {
    switch (layer.kind) {
      case 'vpmem':
        return this.vpmem.release(Number(layer.device));
      case 'mapped': {
        const [device, offset] = layer.device.split('@').map(Number);
        return this.vpmemMapped.release(device ?? -1, offset ?? -1);
      }
      case 'scsi':
        return this.scsi.release(layer.hostPath, true);
      case 'vsmb':
        return this.vsmb.release(layer.device);
      case 'host':
        throw new Error('host layers are not held by a utility VM');
    }
  }

  /**
   * Attaches the container's scratch read-write at the guest root. A scratch already attached
   * (shared through a sandbox.vhdx symlink) keeps its first path; LCOW containers then get their
   * own subfolder so upper and work directories never collide.
   */
  async addScratch(folder: string, hostPath: string, guestRoot: string): Promise<ScratchHolding> {
    let result;
    try {
      result = await this.scsi.add(hostPath, guestRoot, false, 'individual');
    } catch (error) {
      throw withContext('failed to add SCSI scratch VHD', error);
    }
    const { attachment } = result;
    const uvmPath =
      !this.isWindows && attachment.refCount > 1
        ? guestPaths.sharedScratch(attachment.uvmPath, guestRoot)
        : attachment.uvmPath;
    return { folder, hostPath, device: scsiDevice(attachment), uvmPath, released: false };
  }

  async releaseScratch(scratch: ScratchHolding): Promise<void> {
    return this.scsi.release(scratch.hostPath, false);
  }
}

function holding(
  folder: string,
  kind: LayerHolding['kind'],
  hostPath: string,
  device: string,
  uvmPath: string,
): LayerHolding {
  return { folder, kind, hostPath, device, uvmPath, released: false };
}
