/** Chooses and opens a backend by name; the Windows one is loaded only when asked for. */
import * as path from 'node:path';
import type { BackendName, HcsBackend } from '../hcs/backend.js';
import { createSimBackend } from '../hcs/sim/index.js';
import type { StateStore } from '../store/state-store.js';
import { UvmLayersError } from './errors.js';
import { storeSimPersistence } from './sim-persistence.js';

export async function openBackend(
  name: BackendName,
  store: StateStore,
  simFailAt?: number,
): Promise<HcsBackend> {
  if (simFailAt !== undefined && name !== 'sim') {
    throw new UvmLayersError('INVALID_ARGUMENT', '--sim-fail-at works with --backend sim only');
  }
  switch (name) {
    case 'sim':
      return createSimBackend({
        persistence: storeSimPersistence(store),
        ...(simFailAt === undefined ? {} : { failAt: simFailAt }),
      });
    case 'hcs': {
      const { loadHcsBackend } = await import('../hcs/win/index.js');
      // WCOW UVMs' own scratch disks live with the rest of the state.
      return loadHcsBackend({ scratchDir: path.join(store.dir, 'uvm-scratch') });
    }
    case 'qemu': {
      const { createQemuBackend } = await import('../hcs/qemu/index.js');
      // The utility VM image lives in this same state folder (`uvm-layers image build`).
      return createQemuBackend({ stateDir: store.dir });
    }
  }
}

/** The default: real HCS where it loads (Windows), the simulator everywhere else. */
export async function defaultBackend(): Promise<BackendName> {
  if (process.platform !== 'win32') return 'sim';
  const { isHcsAvailable } = await import('../hcs/win/index.js');
  return isHcsAvailable() ? 'hcs' : 'sim';
}
