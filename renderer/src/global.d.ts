import type { UvmLayersApi } from '../../main/ipc/api.js';

declare global {
  interface Window {
    /** Defined by the preload (desktop) or the `serve` bridge (browser); frozen. */
    readonly uvmLayers?: UvmLayersApi;
  }
}
