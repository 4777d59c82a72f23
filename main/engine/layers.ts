/**
 * mountContainerLayers / unmountContainerLayers for hypervisor-isolated containers: read-only
 * layers, then the scratch, then the guest combine; on any failure everything this call added is
 * released again in reverse (B1). Unmount works from the container's ledger entry (B5, B6, B12):
 * the combined root first, then what the operation mask covers; each part is released once.
 */
import * as path from 'node:path';
import type { UnmountOp } from './service-api.js';
import { aggregateError, UvmLayersError, withContext } from './errors.js';
import { guestPaths, resolveScratchVhdx } from './paths.js';
import type { ContainerRecord, LayerHolding, ScratchHolding } from './uvm/record.js';
import type { UtilityVm } from './uvm/utility-vm.js';

/** UnmountOperation bits, as hcsshim defines them. */
export const UnmountOperation = { SCSI: 0x1, VSMB: 0x2, VPMEM: 0x4, All: 0x7 } as const;

export function unmountMask(ops: readonly UnmountOp[] | undefined): number {
  if (!ops || ops.length === 0) return UnmountOperation.All;
  let mask = 0;
  for (const op of ops) {
    mask |=
      op === 'scsi'
        ? UnmountOperation.SCSI
        : op === 'vsmb'
          ? UnmountOperation.VSMB
          : UnmountOperation.VPMEM;
  }
  return mask;
}

export type NameToGuid = (name: string) => Promise<string>;

/**
 * Mounts `layerFolders` (read-only layers, base first) and `scratchFolder` into the UVM and
 * combines them at `guestRoot`. Returns the ledger entry; the caller stores it.
 */
export async function mountContainerLayers(
  vm: UtilityVm,
  layerFolders: readonly string[],
  scratchFolder: string,
  guestRoot: string,
  nameToGuid: NameToGuid,
): Promise<ContainerRecord> {
  const layers: LayerHolding[] = [];
  let scratch: ScratchHolding | undefined;
  try {
    for (const folder of layerFolders) {
      layers.push(vm.isWindows ? await vm.addWcowLayer(folder) : await vm.addLcowLayer(folder));
    }
    scratch = await vm.addScratch(scratchFolder, resolveScratchVhdx(scratchFolder), guestRoot);
    const rootfs = vm.isWindows ? scratch.uvmPath : guestPaths.lcowRootfs(guestRoot);
    const combinedLayers = vm.isWindows
      ? await Promise.all(
          layers.map(async (l) => ({
            id: await nameToGuid(path.basename(l.folder)),
            path: l.uvmPath,
          })),
        )
      : layers.map((l) => ({ path: l.uvmPath }));
    await vm.combinedLayers.add({
      containerRootPath: rootfs,
      layers: combinedLayers,
      scratchPath: scratch.uvmPath,
    });
    return { guestRoot, rootfs, combinedRoot: rootfs, combined: true, scratch, layers };
  } catch (error) {
    const failure = withContext(
      `failed to mount container ${guestRoot} in utility VM ${vm.id}`,
      error,
    );
    const leftovers = await rollback(vm, layers, scratch);
    if (leftovers.length === 0) throw failure;
    throw new UvmLayersError(
      'ROLLBACK_FAILED',
      `${failure.message}; rolling back also failed: ${leftovers.map((e) => e.message).join('; ')}`,
      { causes: [failure, ...leftovers] },
    );
  }
}

async function rollback(
  vm: UtilityVm,
  layers: LayerHolding[],
  scratch: ScratchHolding | undefined,
): Promise<UvmLayersError[]> {
  const failures: UvmLayersError[] = [];
  if (scratch) {
    try {
      await vm.releaseScratch(scratch);
    } catch (error) {
      failures.push(withContext('rollback', error));
    }
  }
  for (const layer of [...layers].reverse()) {
    try {
      await vm.releaseLayer(layer);
    } catch (error) {
      failures.push(withContext('rollback', error));
    }
  }
  return failures;
}

/**
 * Releases what `mask` covers of a mounted container, the combined root always first. The entry
 * is updated in place, also when some part fails (every failure is reported together).
 */
export async function unmountContainerLayers(
  vm: UtilityVm,
  container: ContainerRecord,
  mask: number,
): Promise<void> {
  const failures: unknown[] = [];
  if (container.combined) {
    try {
      await vm.combinedLayers.remove(container.combinedRoot);
      container.combined = false;
    } catch (error) {
      // The guest still uses the devices: removing them now would desynchronise host and guest.
      throw aggregateError(
        error instanceof UvmLayersError ? error.code : 'UNMOUNT_FAILED',
        `failed to unmount container ${container.guestRoot} from utility VM ${vm.id}; its devices stay attached`,
        [error],
      );
    }
  }
  if (mask & UnmountOperation.SCSI && !container.scratch.released) {
    try {
      await vm.releaseScratch(container.scratch);
      container.scratch.released = true;
    } catch (error) {
      failures.push(error);
    }
  }
  const layerBit = vm.isWindows ? UnmountOperation.VSMB : UnmountOperation.VPMEM;
  if (mask & layerBit) {
    for (const layer of container.layers) {
      if (layer.released) continue;
      try {
        await vm.releaseLayer(layer);
        layer.released = true;
      } catch (error) {
        failures.push(error);
      }
    }
  }
  if (failures.length > 0) {
    throw aggregateError(
      'UNMOUNT_FAILED',
      `failed to unmount container ${container.guestRoot} from utility VM ${vm.id}`,
      failures,
    );
  }
}

export function isFullyReleased(container: ContainerRecord): boolean {
  return (
    !container.combined && container.scratch.released && container.layers.every((l) => l.released)
  );
}
