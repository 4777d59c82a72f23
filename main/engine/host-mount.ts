/**
 * Process-isolated (Argon) containers: the scratch folder is activated and prepared on the host
 * with its parent layers, and its volume path is the rootfs. Unmount unprepares and then always
 * tries to deactivate, reporting both failures (B13).
 */
import * as path from 'node:path';
import { HRESULT } from '../hcs/hresult.js';
import { aggregateError, UvmLayersError, withContext } from './errors.js';
import { normalizeHostPath } from './paths.js';
import type { ContainerRecord } from './uvm/record.js';

export type WcLayerCall =
  | { Op: 'ActivateLayer'; Path: string }
  | { Op: 'PrepareLayer'; Path: string; Layers: string[] }
  | { Op: 'GetLayerMountPath'; Path: string }
  | { Op: 'UnprepareLayer'; Path: string }
  | { Op: 'DeactivateLayer'; Path: string };

/** Sends one wclayer call, journaled with the call that undoes it. */
export interface HostLayerSender {
  call(request: WcLayerCall, undo: WcLayerCall | null, label: string): Promise<string | void>;
  nameToGuid(name: string): Promise<string>;
}

const RETRY_ATTEMPTS = 5;
const RETRY_DELAY_MS = 100;
/** RS5 loopback-VHD races: hcsshim retries activate + prepare on these only. */
const RETRYABLE = new Set<number>([HRESULT.ERROR_NOT_READY, HRESULT.ERROR_DEVICE_NOT_CONNECTED]);

export async function mountHostLayers(
  sender: HostLayerSender,
  layerFolders: readonly string[],
  scratchFolder: string,
  guestRoot: string,
): Promise<ContainerRecord> {
  const scratch = normalizeHostPath(scratchFolder);
  const parents = layerFolders.map(normalizeHostPath);
  let attempt = 0;
  for (;;) {
    attempt++;
    try {
      return await mountOnce(sender, layerFolders, parents, scratch, scratchFolder, guestRoot);
    } catch (error) {
      const hr = error instanceof UvmLayersError ? error.hresult : undefined;
      if (attempt >= RETRY_ATTEMPTS || hr === undefined || !RETRYABLE.has(hr)) throw error;
      await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS));
    }
  }
}

async function mountOnce(
  sender: HostLayerSender,
  layerFolders: readonly string[],
  parents: string[],
  scratch: string,
  scratchFolder: string,
  guestRoot: string,
): Promise<ContainerRecord> {
  let activated = false;
  let prepared = false;
  try {
    await sender.call(
      { Op: 'ActivateLayer', Path: scratch },
      { Op: 'DeactivateLayer', Path: scratch },
      `Activate layer ${scratch}`,
    );
    activated = true;
    await sender.call(
      { Op: 'PrepareLayer', Path: scratch, Layers: parents },
      { Op: 'UnprepareLayer', Path: scratch },
      `Prepare layer ${scratch} with ${parents.length} parent layers`,
    );
    prepared = true;
    const volume = await sender.call(
      { Op: 'GetLayerMountPath', Path: scratch },
      null,
      `Get the mount path of ${scratch}`,
    );
    if (typeof volume !== 'string' || volume === '') {
      throw new UvmLayersError(
        'HCS_ERROR',
        `GetLayerMountPath returned no volume path for ${scratch}`,
      );
    }
    const layers = await Promise.all(
      layerFolders.map(async (folder, i) => ({
        folder,
        kind: 'host' as const,
        hostPath: parents[i] ?? folder,
        device: await sender.nameToGuid(path.basename(folder)),
        uvmPath: parents[i] ?? folder,
        released: false,
      })),
    );
    return {
      guestRoot,
      rootfs: volume,
      combinedRoot: volume,
      combined: true,
      scratch: {
        folder: scratchFolder,
        hostPath: scratch,
        device: volume,
        uvmPath: volume,
        released: false,
      },
      layers,
    };
  } catch (error) {
    const failure = withContext(`failed to mount host layers at ${scratch}`, error);
    const leftovers: unknown[] = [];
    if (prepared) {
      await sender
        .call(
          { Op: 'UnprepareLayer', Path: scratch },
          { Op: 'PrepareLayer', Path: scratch, Layers: parents },
          `Unprepare layer ${scratch}`,
        )
        .catch((e: unknown) => leftovers.push(e));
    }
    if (activated) {
      await sender
        .call(
          { Op: 'DeactivateLayer', Path: scratch },
          { Op: 'ActivateLayer', Path: scratch },
          `Deactivate layer ${scratch}`,
        )
        .catch((e: unknown) => leftovers.push(e));
    }
    if (leftovers.length === 0) throw failure;
    throw aggregateError('ROLLBACK_FAILED', `${failure.message}; rolling back also failed`, [
      failure,
      ...leftovers,
    ]);
  }
}

/** Unprepares, then deactivates even if unprepare failed; both failures are reported. */
export async function unmountHostLayers(
  sender: HostLayerSender,
  container: ContainerRecord,
): Promise<void> {
  const scratch = container.scratch.hostPath;
  const parents = container.layers.map((l) => l.hostPath);
  const failures: unknown[] = [];
  if (container.combined) {
    try {
      await sender.call(
        { Op: 'UnprepareLayer', Path: scratch },
        { Op: 'PrepareLayer', Path: scratch, Layers: parents },
        `Unprepare layer ${scratch}`,
      );
      container.combined = false;
      for (const layer of container.layers) layer.released = true;
    } catch (error) {
      failures.push(withContext(`failed to unprepare host layer ${scratch}`, error));
    }
  }
  if (!container.scratch.released) {
    try {
      await sender.call(
        { Op: 'DeactivateLayer', Path: scratch },
        { Op: 'ActivateLayer', Path: scratch },
        `Deactivate layer ${scratch}`,
      );
      container.scratch.released = true;
    } catch (error) {
      failures.push(withContext(`failed to deactivate host layer ${scratch}`, error));
    }
  }
  if (failures.length > 0) {
    throw aggregateError(
      'UNMOUNT_FAILED',
      `failed to unmount host container ${container.guestRoot}`,
      failures,
    );
  }
}
