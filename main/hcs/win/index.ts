/** The real HCS backend (Windows). Everything here works through native/'s library interfaces. */
export {
  createHcsBackend,
  DEFAULT_OWNER,
  toComputeSystems,
  type HcsBackendOptions,
  type NativeApis,
  type PropertyQuery,
  type WindowsHcsBackend,
} from './backend.js';
export { isHcsAvailable, loadHcsBackend } from './load.js';
export type { OperationTimeout } from '../../../native/operation.js';
