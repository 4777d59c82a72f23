/** What every handler works on: the draft state of one UVM and the host filesystem. */
import type { HostFiles } from './host-files.js';
import type { SimSystemState } from './sim-state.js';

export interface ApplyContext {
  /** A private copy; the backend saves it only when the whole document succeeded. */
  state: SimSystemState;
  files: HostFiles;
}
