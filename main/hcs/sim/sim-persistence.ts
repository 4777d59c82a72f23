/**
 * Where the simulator keeps its state between calls. HCS is a service outside the process, so
 * the sim loads a system's state at the start of every call and saves it after every successful
 * change; the app wires this to its store (keys `sim/<id>` and `sim-host`).
 */
import type { SimHostState, SimSystemState } from './sim-state.js';

export interface SimPersistence {
  load(id: string): SimSystemState | undefined;
  /** `undefined` deletes the system. */
  save(id: string, state: SimSystemState | undefined): void;
  /** Ids of every saved system. */
  list(): string[];
  loadHost(): SimHostState | undefined;
  saveHost(state: SimHostState): void;
}

/**
 * An in-memory persistence for tests and throwaway sessions. It stores JSON text, so every load
 * returns a fresh copy and anything that is not plain JSON is caught.
 */
export function createMemoryPersistence(): SimPersistence {
  const systems = new Map<string, string>();
  let host: string | undefined;
  return {
    load: (id) => parse<SimSystemState>(systems.get(id)),
    save(id, state) {
      if (state === undefined) systems.delete(id);
      else systems.set(id, JSON.stringify(state));
    },
    list: () => [...systems.keys()].sort(),
    loadHost: () => parse<SimHostState>(host),
    saveHost(state) {
      host = JSON.stringify(state);
    },
  };
}

function parse<T>(text: string | undefined): T | undefined {
  return text === undefined ? undefined : (JSON.parse(text) as T);
}
