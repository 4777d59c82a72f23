/**
 * SCSI documents in QEMU terms. Add: a `file` block node, a format node with the driver named
 * explicitly (QEMU probes only offset 0, where a fixed VHD holds plain data), and a scsi-hd on
 * `scsi0` at target = HCS controller, lun = LUN; the guest half formats a blank read-write disk
 * and mounts it. Remove: the guest unmounts and ejects the disk, then device_del, wait for
 * DEVICE_DELETED, and delete both block nodes.
 */
import { scsiKey } from '../sim/sim-state.js';
import type { GuestChange, HostChange } from '../sim/request-plan.js';
import { isAgentErrno } from './agent-errors.js';
import { inspectDiskImage, type DiskImage } from './disk-image.js';
import { SCSI_BUS } from './qemu-command.js';
import type { BlockDriver, ScsiDisk } from './qemu-state.js';
import { qemuRefuse } from './refusals.js';
import { GUEST_DEVICE_WAIT_MS, type OpContext } from './op-context.js';
import { unmountIfMounted } from './guest-steps.js';
import { deleteBlockNode, deleteDevice, qmpOk } from './qmp-steps.js';
import type { UndoStack } from './undo-stack.js';

type ScsiAdd = Extract<HostChange, { kind: 'scsi-add' }>;
type ScsiRemove = Extract<HostChange, { kind: 'scsi-remove' }>;
type DiskMount = Extract<GuestChange, { kind: 'disk-mount' }>;
type DiskUnmount = Extract<GuestChange, { kind: 'disk-unmount' }>;

/** The format node's options for an image, or why QEMU cannot attach it. */
export function formatNodeOptions(
  image: DiskImage,
): { driver: BlockDriver; extra: Record<string, unknown> } | string {
  switch (image.kind) {
    // raw over the data with an explicit size: immune to the VHD creator field deciding the
    // size from the CHS geometry (QEMU-NOTES §3), and the footer stays out of the disk.
    case 'fixed-vhd':
      return { driver: 'raw', extra: { size: image.dataSize } };
    case 'dynamic-vhd':
      return { driver: 'vpc', extra: {} };
    case 'vhdx':
      return { driver: 'vhdx', extra: {} };
    case 'unsupported':
      return image.reason;
  }
}

export async function attachScsi(ctx: OpContext, change: ScsiAdd, undo: UndoStack): Promise<void> {
  const { controller, lun, path, readOnly } = change;
  const where = `SCSI ${controller}:${lun} on utility VM ${ctx.uvm}`;
  if (change.type !== 'VirtualDisk') {
    throw qemuRefuse.notImplemented(
      `cannot attach ${path} at ${where}: ${change.type} attachments are not supported by the qemu backend (VirtualDisk only)`,
    );
  }
  const format = formatNodeOptions(inspectDiskImage(path));
  if (typeof format === 'string') {
    throw qemuRefuse.invalidArg(`cannot attach ${path} at ${where}: ${format}`);
  }
  const serial = ++ctx.state.serial;
  const disk: ScsiDisk = {
    controller,
    lun,
    hostPath: path,
    readOnly,
    driver: format.driver,
    fileNode: `scsi${serial}-file`,
    formatNode: `scsi${serial}`,
    deviceId: `scsi${serial}-dev`,
  };
  const what = `attaching ${path} at ${where}`;
  const { qmp } = ctx.session;
  const key = scsiKey(controller, lun);
  ctx.note({ kind: 'block-node', name: disk.fileNode });
  await qmpOk(qmp, what, 'blockdev-add', {
    'node-name': disk.fileNode,
    driver: 'file',
    filename: path,
    'read-only': readOnly,
  });
  undo.push(`delete block node ${disk.fileNode}`, () =>
    deleteBlockNode(qmp, `undoing ${what}`, disk.fileNode),
  );
  ctx.note({ kind: 'block-node', name: disk.formatNode });
  await qmpOk(qmp, what, 'blockdev-add', {
    'node-name': disk.formatNode,
    driver: format.driver,
    file: disk.fileNode,
    'read-only': readOnly,
    ...format.extra,
  });
  undo.push(`delete block node ${disk.formatNode}`, () =>
    deleteBlockNode(qmp, `undoing ${what}`, disk.formatNode),
  );
  ctx.note({ kind: 'scsi-device', id: disk.deviceId, slot: key, controller, lun });
  await qmpOk(qmp, what, 'device_add', {
    driver: 'scsi-hd',
    id: disk.deviceId,
    bus: SCSI_BUS,
    drive: disk.formatNode,
    'scsi-id': controller,
    lun,
  });
  ctx.state.scsi[key] = disk;
  undo.push(`detach ${disk.deviceId}`, async () => {
    await ejectInGuest(ctx, controller, lun);
    await deleteDevice(qmp, `undoing ${what}`, disk.deviceId);
    delete ctx.state.scsi[key];
  });
}

export async function mountDisk(ctx: OpContext, change: DiskMount, undo: UndoStack): Promise<void> {
  const { controller, lun, mountPath } = change;
  const disk = ctx.state.scsi[scsiKey(controller, lun)];
  const readOnly = change.readOnly ?? disk?.readOnly ?? true;
  const agent = await ctx.session.agent();
  if (!readOnly) {
    await agent.formatIfBlank({ target: controller, lun, timeoutMs: GUEST_DEVICE_WAIT_MS });
  }
  ctx.note({ kind: 'guest-mount', path: mountPath });
  const { device } = await agent.mountScsi({
    target: controller,
    lun,
    path: mountPath,
    readOnly,
    timeoutMs: GUEST_DEVICE_WAIT_MS,
  });
  if (disk) disk.guestDevice = device;
  undo.push(`unmount ${mountPath}`, () => unmountIfMounted(ctx, mountPath));
}

export async function unmountDisk(ctx: OpContext, change: DiskUnmount): Promise<void> {
  // No MountPath: an eject only, which the host half does for every remove.
  if (change.mountPath !== undefined) await unmountIfMounted(ctx, change.mountPath);
}

export async function detachScsi(ctx: OpContext, change: ScsiRemove): Promise<void> {
  const { controller, lun } = change;
  const key = scsiKey(controller, lun);
  const disk = ctx.state.scsi[key];
  const what = `removing SCSI ${controller}:${lun} from utility VM ${ctx.uvm}`;
  if (!disk) {
    throw qemuRefuse.invalidArg(
      `${what}: the qemu backend has no record of the QEMU device behind this slot (state.json out of step; compare with \`readBack\`)`,
    );
  }
  const { qmp } = ctx.session;
  await ejectInGuest(ctx, controller, lun);
  await deleteDevice(qmp, what, disk.deviceId);
  await deleteBlockNode(qmp, what, disk.formatNode);
  await deleteBlockNode(qmp, what, disk.fileNode);
  delete ctx.state.scsi[key];
}

/** The guest deletes its SCSI device first, as hcsshim's unplug does; an absent one is done. */
export async function ejectInGuest(ctx: OpContext, target: number, lun: number): Promise<void> {
  const agent = await ctx.session.agent();
  try {
    await agent.scsiUnplug(target, lun);
  } catch (error) {
    if (!isAgentErrno(error, 'ENOENT', 'ENODEV')) throw error;
  }
}
