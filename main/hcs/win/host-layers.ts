/**
 * Host (Argon) layers through vmcompute.dll's wclayer functions, as hcsshim's internal/wclayer
 * calls them: driver info {1, ""}, the full layer path as the id, parent descriptors whose
 * LayerId is NameToGuid(basename(parent)), and PrepareLayer serialised process-wide (hcsshim's
 * prepareLayerLock, a workaround for a Windows bug with concurrent prepares).
 */
import * as path from 'node:path';
import type { HostLayers } from '../backend.js';
import { HRESULT } from '../hresult.js';
import type { Out } from '../../../native/ffi.js';
import { failed, hcsCallError } from '../../../native/hcs-errors.js';
import {
  formatGuid,
  STD_DRIVER_INFO,
  type Guid,
  type VmComputeApi,
  type WcLayerDescriptor,
} from '../../../native/vmcompute.js';

/** One prepare at a time in this process, whatever backend instance asks. */
let prepareQueue: Promise<unknown> = Promise.resolve();

function serialisePrepare<T>(work: () => Promise<T>): Promise<T> {
  const run = prepareQueue.then(work, work);
  prepareQueue = run.catch(() => undefined);
  return run;
}

/** `vmcompute` is a getter so vmcompute.dll loads only when a host mount is first made. */
export function createHostLayers(vmcompute: () => VmComputeApi): HostLayers {
  const check = (what: string, hr: number): void => {
    if (failed(hr)) throw hcsCallError(what, hr);
  };
  const driver = { ...STD_DRIVER_INFO };

  const guidOf = async (name: string): Promise<Guid> => {
    const out: Out<Guid> = [null];
    check(`NameToGuid ${name}`, await vmcompute().NameToGuid(name, out));
    if (out[0] === null) throw hcsCallError(`NameToGuid ${name} returned no GUID`, HRESULT.E_FAIL);
    return out[0];
  };

  // Layer paths are Windows paths; win32.basename also copes with trailing separators.
  const descriptorOf = async (parent: string): Promise<WcLayerDescriptor> => ({
    LayerId: await guidOf(path.win32.basename(parent)),
    Flags: 0,
    Path: parent,
  });

  return {
    async activateLayer(layerPath) {
      check(`ActivateLayer ${layerPath}`, await vmcompute().ActivateLayer(driver, layerPath));
    },
    async prepareLayer(layerPath, parentLayerPaths) {
      const descriptors: WcLayerDescriptor[] = [];
      for (const parent of parentLayerPaths) descriptors.push(await descriptorOf(parent));
      const hr = await serialisePrepare(() =>
        vmcompute().PrepareLayer(driver, layerPath, descriptors.length === 0 ? null : descriptors, descriptors.length),
      );
      check(`PrepareLayer ${layerPath}`, hr);
    },
    async getLayerMountPath(layerPath) {
      const api = vmcompute();
      const length: Out<number | bigint> = [0];
      check(`GetLayerMountPath ${layerPath}`, await api.GetLayerMountPath(driver, layerPath, length, null));
      const units = Number(length[0] ?? 0);
      if (units <= 0) return '';
      const buffer = Buffer.alloc(units * 2);
      check(`GetLayerMountPath ${layerPath}`, await api.GetLayerMountPath(driver, layerPath, length, buffer));
      const text = buffer.toString('utf16le');
      const end = text.indexOf('\0');
      return end === -1 ? text : text.slice(0, end);
    },
    async unprepareLayer(layerPath) {
      check(`UnprepareLayer ${layerPath}`, await vmcompute().UnprepareLayer(driver, layerPath));
    },
    async deactivateLayer(layerPath) {
      check(`DeactivateLayer ${layerPath}`, await vmcompute().DeactivateLayer(driver, layerPath));
    },
    async nameToGuid(name) {
      return formatGuid(await guidOf(name));
    },
  };
}
