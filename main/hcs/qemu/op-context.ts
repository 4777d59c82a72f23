/** What every document step works on: the UVM's state (updated in place) and its connections. */
import type { QemuUvmState } from './qemu-state.js';
import type { VmSession } from './vm-session.js';

export interface OpContext {
  uvm: string;
  state: QemuUvmState;
  session: VmSession;
}

/** Guest device waits (a hot-plugged disk appearing) get this long inside the agent. */
export const GUEST_DEVICE_WAIT_MS = 10_000;
