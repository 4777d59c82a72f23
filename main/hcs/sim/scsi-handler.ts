/**
 * SCSI attachments: controller/LUN limits from the create config, one attachment per slot, the
 * UVM's own reserved slot, existing host files, a VM-access grant for read-write disks, and no
 * hot-remove while the guest still has the disk mounted.
 */
import type { ApplyContext } from './apply-context.js';
import { mountsOfSource } from './guest-usage.js';
import type { HostChange } from './request-plan.js';
import { refuse } from './sim-errors.js';
import { scsiKey, scsiSource, type SimScsiSlot, type SimSystemState } from './sim-state.js';

/** LUNs per controller, fixed by Hyper-V. */
export const SCSI_LUNS_PER_CONTROLLER = 64;

type ScsiAdd = Extract<HostChange, { kind: 'scsi-add' }>;
type ScsiRemove = Extract<HostChange, { kind: 'scsi-remove' }>;

export function addScsi({ state, files }: ApplyContext, change: ScsiAdd): void {
  const { controller, lun, path } = change;
  checkSlotInRange(state, controller, lun);
  const slotName = `SCSI slot ${controller}:${lun} on utility VM ${state.id}`;
  const existing = state.scsi[scsiKey(controller, lun)];
  if (existing) {
    throw refuse.alreadyExists(`${slotName} is already occupied by ${describeSlot(existing)}`);
  }
  const describe = `cannot attach ${path} at ${slotName}`;
  files.file(path, describe);
  if (!change.readOnly && !state.grants.includes(files.key(path))) {
    throw refuse.accessDenied(
      `${describe}: the utility VM has not been granted access to the file (GrantVmAccess) ` +
        'and a read-write attachment needs it',
    );
  }
  state.scsi[scsiKey(controller, lun)] = { path, readOnly: change.readOnly, type: change.type };
}

export function removeScsi({ state }: ApplyContext, change: ScsiRemove): void {
  const { controller, lun } = change;
  checkSlotInRange(state, controller, lun);
  const slotName = `SCSI slot ${controller}:${lun} on utility VM ${state.id}`;
  const existing = state.scsi[scsiKey(controller, lun)];
  if (!existing) throw refuse.notFound(`${slotName} is empty; there is no attachment to remove`);
  if (existing.reserved !== undefined) {
    throw refuse.accessDenied(
      `${slotName} holds ${describeSlot(existing)}; the utility VM's own slots cannot be removed`,
    );
  }
  const mounted = mountsOfSource(state, scsiSource(controller, lun));
  if (mounted.length > 0) {
    throw refuse.busy(
      `${slotName} (${existing.path}) is still mounted in the guest at ${mounted.join(', ')}; ` +
        'the guest must unmount it first (device or resource busy)',
    );
  }
  delete state.scsi[scsiKey(controller, lun)];
}

function checkSlotInRange(state: SimSystemState, controller: number, lun: number): void {
  const controllers = state.limits.scsiControllers;
  if (controller >= controllers) {
    throw refuse.invalidArg(
      `SCSI controller ${controller} does not exist on utility VM ${state.id} ` +
        `(it has ${controllers} controller${controllers === 1 ? '' : 's'}; slot ${controller}:${lun})`,
    );
  }
  if (lun >= SCSI_LUNS_PER_CONTROLLER) {
    throw refuse.invalidArg(
      `SCSI LUN ${lun} is out of range on utility VM ${state.id} (slot ${controller}:${lun}; ` +
        `LUNs 0-${SCSI_LUNS_PER_CONTROLLER - 1})`,
    );
  }
}

function describeSlot(slot: SimScsiSlot): string {
  return slot.reserved !== undefined
    ? `the utility VM's own ${slot.reserved} (reserved)`
    : slot.path;
}
