/** The embedded HCS simulator: backend factory, persistence contract and state types. */
export { createSimBackend, SIM_OWNER } from './sim-backend.js';
export type { SimBackend, SimBackendOptions } from './sim-backend.js';
export { createMemoryPersistence } from './sim-persistence.js';
export type { SimPersistence } from './sim-persistence.js';
export type { HostPlatform } from './host-files.js';
export { simVolumePath } from './host-layers.js';
export { uuidV5, URL_NAMESPACE } from './uuid-v5.js';
export {
  scsiKey,
  scsiSource,
  vpmemSource,
  SIM_STATE_VERSION,
  UVM_SCRATCH_PURPOSE,
} from './sim-state.js';
export type {
  SimCombinedRoot,
  SimGuestMount,
  SimGuestState,
  SimHostLayer,
  SimHostState,
  SimLimits,
  SimRunState,
  SimScsiSlot,
  SimSystemState,
  SimVpmemDevice,
  SimVpmemMapping,
  SimVsmbShare,
} from './sim-state.js';
