/**
 * What every component reaches through context: the API (window.uvmLayers), the sync engine and
 * the three stores. Built once per window by `createAppServices`; tests build their own.
 */
import { createContext, useContext, type ReactNode } from 'react';
import { useStore } from 'zustand';
import type { UvmLayersApi } from '../../main/ipc/api.js';
import { createReplicaStore, type ReplicaState, type ReplicaStore } from './state/replica.js';
import { createSync, type Sync, type SyncOptions } from './state/sync.js';
import { createTaskStore, type TaskState, type TaskStore } from './state/tasks.js';
import { createUiStore, type UiState, type UiStore } from './state/ui.js';

export interface AppServices {
  api: UvmLayersApi;
  sync: Sync;
  replica: ReplicaStore;
  tasks: TaskStore;
  ui: UiStore;
}

export function createAppServices(
  api: UvmLayersApi,
  options: { sync?: SyncOptions } = {},
): AppServices {
  const replica = createReplicaStore();
  return {
    api,
    replica,
    sync: createSync(api, replica, options.sync),
    tasks: createTaskStore(),
    ui: createUiStore(),
  };
}

const ServicesContext = createContext<AppServices | null>(null);

export function AppProvider({
  services,
  children,
}: {
  services: AppServices;
  children: ReactNode;
}) {
  return <ServicesContext.Provider value={services}>{children}</ServicesContext.Provider>;
}

export function useServices(): AppServices {
  const services = useContext(ServicesContext);
  if (!services) throw new Error('AppProvider is missing');
  return services;
}

/** Narrow selectors only: return a stored value, never a freshly built object or array. */
export function useReplica<T>(selector: (state: ReplicaState) => T): T {
  return useStore(useServices().replica, selector);
}

export function useTasks<T>(selector: (state: TaskState) => T): T {
  return useStore(useServices().tasks, selector);
}

export function useUi<T>(selector: (state: UiState) => T): T {
  return useStore(useServices().ui, selector);
}

/** True when the service runs the qemu backend: a real guest to browse and read back. */
export function useQemuBackend(): boolean {
  return useReplica((s) => s.info?.backend === 'qemu');
}
