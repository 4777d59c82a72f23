/** Keeps the simulator's device tree and guest view in the state store, next to the ledger. */
import type { SimHostState, SimPersistence, SimSystemState } from '../hcs/sim/index.js';
import type { StateStore } from '../store/state-store.js';

export function storeSimPersistence(store: StateStore): SimPersistence {
  return {
    load: (id) => store.read<SimSystemState>(`sim/${id}`)?.data,
    save: (id, state) => (state ? void store.write(`sim/${id}`, state) : store.delete(`sim/${id}`)),
    list: () => store.list('sim/').map((k) => k.slice(4)),
    loadHost: () => store.read<SimHostState>('sim-host')?.data,
    saveHost: (state) => void store.write('sim-host', state),
  };
}
