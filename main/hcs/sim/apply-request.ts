/**
 * Applies a parsed document to a UVM's draft state in HCS's order: an Add (or Update) changes
 * the host device first and then runs the guest half against it; a Remove runs the guest half
 * first, then removes the host device. Any refusal throws before the draft is saved, so a
 * document is applied whole or not at all.
 */
import type { ApplyContext } from './apply-context.js';
import { combineLayers, removeCombinedLayers } from './guest-combine.js';
import { mountDisk, mountVpmem, unmountDisk, unmountVpmem } from './guest-mounts.js';
import type { GuestChange, HostChange, ModifyPlan } from './request-plan.js';
import { addScsi, removeScsi } from './scsi-handler.js';
import {
  addVpmemDevice,
  addVpmemMapping,
  removeVpmemDevice,
  removeVpmemMapping,
} from './vpmem-handler.js';
import { addVsmbShare, removeVsmbShare, updateVsmbShare } from './vsmb-handler.js';

export function applyPlan(ctx: ApplyContext, plan: ModifyPlan): void {
  if (plan.requestType === 'Remove') {
    if (plan.guest) applyGuest(ctx, plan.guest);
    if (plan.host) applyHost(ctx, plan.host);
    return;
  }
  if (plan.host) applyHost(ctx, plan.host);
  if (plan.guest) applyGuest(ctx, plan.guest);
}

function applyHost(ctx: ApplyContext, change: HostChange): void {
  switch (change.kind) {
    case 'scsi-add':
      return addScsi(ctx, change);
    case 'scsi-remove':
      return removeScsi(ctx, change);
    case 'vpmem-add':
      return addVpmemDevice(ctx, change);
    case 'vpmem-remove':
      return removeVpmemDevice(ctx, change);
    case 'mapping-add':
      return addVpmemMapping(ctx, change);
    case 'mapping-remove':
      return removeVpmemMapping(ctx, change);
    case 'vsmb-add':
      return addVsmbShare(ctx, change);
    case 'vsmb-update':
      return updateVsmbShare(ctx, change);
    case 'vsmb-remove':
      return removeVsmbShare(ctx, change);
  }
}

function applyGuest(ctx: ApplyContext, change: GuestChange): void {
  switch (change.kind) {
    case 'disk-mount':
      return mountDisk(ctx, change);
    case 'disk-unmount':
      return unmountDisk(ctx, change);
    case 'vpmem-mount':
      return mountVpmem(ctx, change);
    case 'vpmem-unmount':
      return unmountVpmem(ctx, change);
    case 'combine':
      return combineLayers(ctx, change);
    case 'uncombine':
      return removeCombinedLayers(ctx, change);
  }
}
