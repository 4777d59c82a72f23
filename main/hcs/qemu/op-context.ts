/** What every document step works on: the UVM's state (updated in place) and its connections. */
import type { PendingStep, QemuUvmState } from './qemu-state.js';
import type { VmSession } from './vm-session.js';

export interface OpContext {
  uvm: string;
  state: QemuUvmState;
  session: VmSession;
  /**
   * Records, durably, an object an Add is about to create, before it is created: if this
   * process dies mid-document, the next call knows what may exist and removes it.
   */
  note(step: PendingStep): void;
}

/** Guest device waits (a hot-plugged disk appearing) get this long inside the agent. */
export const GUEST_DEVICE_WAIT_MS = 10_000;
