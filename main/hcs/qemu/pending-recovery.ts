/**
 * Finishing what a dead process left: an Add document writes each object it is about to create
 * to `state.pending` first (OpContext.note), and clears the list when the document ends. A
 * non-empty list found by a later call (which holds the QMP lock, so the writer is gone) means
 * the writer died mid-document; its model change was never saved, so everything it may have
 * created is removed again, newest first: guest mounts unmounted, SCSI disks ejected and
 * unplugged, block nodes and memory backends deleted, a plugged vPMEM device parked. Every step
 * tolerates "not there": the writer may have died before creating it.
 */
import { isAgentErrno } from './agent-errors.js';
import { unmountIfMounted } from './guest-steps.js';
import type { OpContext } from './op-context.js';
import type { PendingStep } from './qemu-state.js';
import { deleteBlockNode, deleteDevice } from './qmp-steps.js';
import { ejectInGuest } from './scsi-steps.js';

/** Undoes `ctx.state.pending`; returns how many steps it held. */
export async function recoverPending(ctx: OpContext): Promise<number> {
  const steps = ctx.state.pending ?? [];
  for (const step of [...steps].reverse()) await undoStep(ctx, step);
  delete ctx.state.pending;
  return steps.length;
}

async function undoStep(ctx: OpContext, step: PendingStep): Promise<void> {
  const what = `cleaning up after an interrupted request on utility VM ${ctx.uvm}`;
  const { qmp } = ctx.session;
  switch (step.kind) {
    case 'guest-mount':
      return unmountIfMounted(ctx, step.path);
    case 'scsi-device': {
      try {
        await ejectInGuest(ctx, step.controller, step.lun);
      } catch (error) {
        // A disk the guest never saw cannot be ejected; the host removal below still runs.
        if (!isAgentErrno(error, 'ETIMEDOUT')) throw error;
      }
      await deleteDevice(qmp, what, step.id);
      if (ctx.state.scsi[step.slot]?.deviceId === step.id) delete ctx.state.scsi[step.slot];
      return;
    }
    case 'block-node':
      return deleteBlockNode(qmp, what, step.name);
    case 'pmem-device': {
      const plugged = await qmp.execute<{ data: { id?: string } }[]>('query-memory-devices');
      const isPlugged = plugged.ok && plugged.value.some((d) => d.data.id === step.record.deviceId);
      const key = String(step.record.device);
      if (ctx.state.pmem[key]?.deviceId === step.record.deviceId) delete ctx.state.pmem[key];
      if (isPlugged && !ctx.state.parked.some((p) => p.deviceId === step.record.deviceId)) {
        ctx.state.parked.push({
          ...step.record,
          parked: {
            at: new Date().toISOString(),
            reason: 'left by an interrupted request; QEMU cannot unplug virtio-pmem',
          },
        });
      }
      return;
    }
    case 'memory-backend': {
      // A backend a parked device uses stays: it cannot be deleted while plugged.
      if (ctx.state.parked.some((p) => p.objectId === step.id)) return;
      const result = await qmp.execute('object-del', { id: step.id });
      if (!result.ok && !/not found|in use/i.test(result.error.desc)) {
        throw new Error(`${what}: QEMU refused object-del ${step.id}: ${result.error.desc}`);
      }
      return;
    }
  }
}
