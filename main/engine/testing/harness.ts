/** An in-process service over a real store and the simulator, in a temp folder. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createSimBackend, type SimBackend } from '../../hcs/sim/index.js';
import { StateStore } from '../../store/state-store.js';
import { createLayerService } from '../service.js';
import type { LayerService } from '../service-api.js';
import { storeSimPersistence } from '../sim-persistence.js';
import { tempDir } from './fixtures.js';

export interface Harness {
  root: string;
  stateDir: string;
  store: StateStore;
  sim: SimBackend;
  service: LayerService;
  close(): Promise<void>;
}

/**
 * `fast`: put the state on tmpfs when the machine has one. fsync there costs nothing, which
 * keeps thousand-sequence property runs short; durability is tested elsewhere on a real disk.
 */
export function openHarness(options: { failAt?: number; fast?: boolean } = {}): Harness {
  const root = tempDir();
  const shm = '/dev/shm';
  const stateDir =
    options.fast && fs.existsSync(shm)
      ? fs.mkdtempSync(path.join(shm, 'uvm-layers-state-'))
      : path.join(root, 'state');
  const store = StateStore.open(stateDir);
  const sim = createSimBackend({
    persistence: storeSimPersistence(store),
    ...(options.failAt ? { failAt: options.failAt } : {}),
  });
  const service = createLayerService(store, sim);
  return {
    root,
    stateDir,
    store,
    sim,
    service,
    async close() {
      await service.close();
      fs.rmSync(root, { recursive: true, force: true });
      if (stateDir.startsWith(shm)) fs.rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
