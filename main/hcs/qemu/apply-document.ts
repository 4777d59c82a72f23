/**
 * One ModifySettingRequest against a running QEMU utility VM. The simulator's parser and
 * handlers judge the document against the UVM's model first, so this backend refuses exactly
 * what the simulator refuses, with the same HRESULTs and nearly the same words; then the steps
 * run in HCS's order (Add: host then guest; Remove: guest then host). A failed Add undoes its
 * finished steps, so a refused document changes nothing; Remove steps treat "already gone" as
 * done, so a retried remove completes. The model advances only when every step succeeded.
 */
import { applyPlan } from '../sim/apply-request.js';
import type { HostFiles } from '../sim/host-files.js';
import { parseModifyRequest } from '../sim/parse-request.js';
import type { GuestChange, HostChange, ModifyPlan } from '../sim/request-plan.js';
import type { SimSystemState } from '../sim/sim-state.js';
import { combine, uncombine } from './guest-steps.js';
import type { OpContext } from './op-context.js';
import { mountPmem, parkPmem, plugPmem, unmountPmem } from './pmem-steps.js';
import { asQemuRefusal, qemuRefuse } from './refusals.js';
import { attachScsi, detachScsi, mountDisk, unmountDisk } from './scsi-steps.js';
import { UndoStack } from './undo-stack.js';

/**
 * Parses `request` and checks it against `model`; returns the plan and the model as it will be
 * after the document, or throws the refusal. Touches nothing.
 */
export function judgeDocument(
  request: unknown,
  model: SimSystemState,
  files: HostFiles,
  uvm: string,
): { plan: ModifyPlan; next: SimSystemState } {
  try {
    const plan = parseModifyRequest(request, model.os, uvm);
    const host = plan.host;
    if (host?.kind === 'mapping-add' || host?.kind === 'mapping-remove') {
      const path = (request as { ResourcePath?: string }).ResourcePath ?? 'a vPMEM mapping';
      throw qemuRefuse.multiMapping(uvm, path);
    }
    const next = structuredClone(model);
    applyPlan({ state: next, files }, plan);
    return { plan, next };
  } catch (error) {
    throw asQemuRefusal(error);
  }
}

/** Carries out a judged plan on QEMU and the guest. */
export async function carryOut(ctx: OpContext, plan: ModifyPlan): Promise<void> {
  // A guest-only document has no RequestType of its own; its guest half says which it is.
  if (plan.requestType === 'Remove' || plan.guest?.kind === 'uncombine') {
    if (plan.guest) await removeGuest(ctx, plan.guest);
    if (plan.host) await removeHost(ctx, plan.host);
    return;
  }
  const undo = new UndoStack();
  try {
    if (plan.host) await addHost(ctx, plan.host, undo);
    if (plan.guest) await addGuest(ctx, plan.guest, undo);
  } catch (error) {
    await undo.unwindAndThrow(error);
  }
}

async function addHost(ctx: OpContext, change: HostChange, undo: UndoStack): Promise<void> {
  switch (change.kind) {
    case 'scsi-add':
      return attachScsi(ctx, change, undo);
    case 'vpmem-add':
      return plugPmem(ctx, change, undo);
    default:
      throw unexpected(ctx, change.kind);
  }
}

async function addGuest(ctx: OpContext, change: GuestChange, undo: UndoStack): Promise<void> {
  switch (change.kind) {
    case 'disk-mount':
      return mountDisk(ctx, change, undo);
    case 'vpmem-mount':
      return mountPmem(ctx, change, undo);
    case 'combine':
      return combine(ctx, change, undo);
    default:
      throw unexpected(ctx, change.kind);
  }
}

async function removeGuest(ctx: OpContext, change: GuestChange): Promise<void> {
  switch (change.kind) {
    case 'disk-unmount':
      return unmountDisk(ctx, change);
    case 'vpmem-unmount':
      return unmountPmem(ctx, change);
    case 'uncombine':
      return uncombine(ctx, change);
    default:
      throw unexpected(ctx, change.kind);
  }
}

async function removeHost(ctx: OpContext, change: HostChange): Promise<void> {
  switch (change.kind) {
    case 'scsi-remove':
      return detachScsi(ctx, change);
    case 'vpmem-remove':
      return parkPmem(ctx, change);
    default:
      throw unexpected(ctx, change.kind);
  }
}

/** VSMB and mappings are refused while judging; reaching here means a plan kind we forgot. */
function unexpected(ctx: OpContext, kind: string): Error {
  return qemuRefuse.notImplemented(
    `utility VM ${ctx.uvm}: ${kind} requests are not supported by the qemu backend`,
  );
}
