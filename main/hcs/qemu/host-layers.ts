/** The wclayer calls: process-isolated (Argon) containers, which exist only on Windows hosts. */
import { UvmLayersError } from '../../engine/errors.js';
import type { HostLayers } from '../backend.js';

/** Process-isolated (Argon) containers exist only on Windows hosts. */
export function unsupportedHostLayers(): HostLayers {
  const refuseHost = (): Promise<never> =>
    Promise.reject(
      new UvmLayersError(
        'NOT_SUPPORTED',
        'host (Argon) layer mounts need Windows; the qemu backend mounts layers into Linux utility VMs (pass --uvm)',
      ),
    );
  return {
    activateLayer: refuseHost,
    prepareLayer: refuseHost,
    getLayerMountPath: refuseHost,
    unprepareLayer: refuseHost,
    deactivateLayer: refuseHost,
    nameToGuid: refuseHost,
  };
}
