/**
 * The two libraries the `hcs` backend needs, behind their interfaces. computecore.dll is loaded
 * at once (its absence means no HCS at all); vmcompute.dll only when a host layer or the
 * fallback VM-access grant first needs it.
 */
import { loadComputeCore, type ComputeCoreApi } from './computecore.js';
import { loadVmCompute, type VmComputeApi } from './vmcompute.js';

export interface NativeApis {
  computecore: ComputeCoreApi;
  vmcompute: VmComputeApi;
}

/** Throws NativeLoadError (with the reason) when computecore.dll cannot be loaded. */
export function loadNativeApis(): NativeApis {
  const computecore = loadComputeCore();
  return {
    computecore,
    get vmcompute(): VmComputeApi {
      return loadVmCompute();
    },
  };
}
