/**
 * Compute-system handles: opened for one piece of work and closed after it, on every path.
 * A handle per call (rather than a cache) means no handle is ever closed while another call
 * still uses it, which is the use-after-free hcsshim guards with a handle lock.
 */
import type { ComputeCoreApi, HcsSystem } from './computecore.js';
import { GENERIC_ALL } from './computecore.js';
import { isNull, type Out } from './ffi.js';
import { failed, hcsCallError, isCondition } from './hcs-errors.js';
import { HRESULT } from '../main/hcs/hresult.js';

/** Opens `id` (HcsOpenComputeSystem is synchronous in HCS: no operation). */
export async function openComputeSystem(api: ComputeCoreApi, id: string): Promise<HcsSystem> {
  const out: Out<HcsSystem> = [null];
  const hr = await api.HcsOpenComputeSystem(id, GENERIC_ALL, out);
  const handle = out[0];
  if (failed(hr)) {
    // A handle returned alongside a failure would otherwise leak.
    if (!isNull(handle)) api.HcsCloseComputeSystem(handle);
    throw hcsCallError(`HcsOpenComputeSystem ${id}`, hr);
  }
  if (isNull(handle)) throw hcsCallError(`HcsOpenComputeSystem ${id} returned no handle`, HRESULT.E_FAIL);
  return handle;
}

/** Runs `work` with an open handle to `id`; the handle is closed when `work` settles. */
export async function withComputeSystem<T>(
  api: ComputeCoreApi,
  id: string,
  work: (system: HcsSystem) => Promise<T>,
): Promise<T> {
  const system = await openComputeSystem(api, id);
  try {
    return await work(system);
  } finally {
    api.HcsCloseComputeSystem(system);
  }
}

/** Whether HCS knows `id` (opened and closed at once); other failures are thrown. */
export async function computeSystemExists(api: ComputeCoreApi, id: string): Promise<boolean> {
  try {
    api.HcsCloseComputeSystem(await openComputeSystem(api, id));
    return true;
  } catch (error) {
    const hr = (error as { hresult?: unknown }).hresult;
    if (typeof hr === 'number' && isCondition(hr, 'notFound')) return false;
    throw error;
  }
}
