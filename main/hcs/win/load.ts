/**
 * Choosing and loading the `hcs` backend. Nothing native is touched off Windows: there the
 * answer is known from the platform alone.
 */
import { loadComputeCore } from '../../../native/computecore.js';
import { createHcsBackend, unavailable, type HcsBackendOptions, type WindowsHcsBackend } from './backend.js';

/** The real backend, or BACKEND_UNAVAILABLE saying why and to use `--backend sim`. */
export function loadHcsBackend(options: Omit<HcsBackendOptions, 'api'> = {}): WindowsHcsBackend {
  if (process.platform !== 'win32') {
    throw unavailable('computecore.dll', `this is ${process.platform}, not Windows`);
  }
  return createHcsBackend(options);
}

let available: boolean | undefined;

/** True only on Windows when computecore.dll loads: then `hcs` is the default backend. */
export function isHcsAvailable(): boolean {
  if (process.platform !== 'win32') return false;
  if (available === undefined) {
    try {
      loadComputeCore();
      available = true;
    } catch {
      available = false;
    }
  }
  return available;
}
