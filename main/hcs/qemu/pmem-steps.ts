/**
 * vPMEM documents in QEMU terms. Add: a read-only `memory-backend-file` over the fixed VHD's
 * data (the footer stays unmapped), a virtio-pmem-pci on a free PCIe root port at a 2 MiB
 * aligned `memaddr` we choose (QEMU would pack devices back to back, and one odd size would
 * misalign every later one), then the guest mounts the region it finds at that address.
 * Remove: the guest unmounts, and the device is parked: QEMU cannot unplug virtio-pmem
 * ("virtio based memory devices cannot be unplugged."), so it stays plugged, unused, with its
 * port and address, until the VM stops. Nothing of a parked device is ever reused.
 */
import type { GuestChange, HostChange } from '../sim/request-plan.js';
import { inspectDiskImage } from './disk-image.js';
import { unmountIfMounted } from './guest-steps.js';
import { GUEST_DEVICE_WAIT_MS, type OpContext } from './op-context.js';
import { pmemInUse, type PmemDevice, type QemuUvmState } from './qemu-state.js';
import { deleteObject, qmpOk } from './qmp-steps.js';
import { qemuRefuse } from './refusals.js';
import type { UndoStack } from './undo-stack.js';
import { PMEM_ALIGN, placeRegion } from './vm-layout.js';

type VpmemAdd = Extract<HostChange, { kind: 'vpmem-add' }>;
type VpmemRemove = Extract<HostChange, { kind: 'vpmem-remove' }>;
type VpmemMount = Extract<GuestChange, { kind: 'vpmem-mount' }>;
type VpmemUnmount = Extract<GuestChange, { kind: 'vpmem-unmount' }>;

const MiB = 1024 * 1024;

/** The data size QEMU will map, or the refusal saying why this file cannot be vPMEM. */
export function pmemDataSize(hostPath: string, describe: string, imageFormat?: string): number {
  if (imageFormat === 'Vhdx') {
    throw qemuRefuse.invalidArg(
      `${describe}: ImageFormat Vhdx cannot be vPMEM; vPMEM maps a fixed VHD (Vhd1)`,
    );
  }
  const image = inspectDiskImage(hostPath);
  if (image.kind !== 'fixed-vhd') {
    const why =
      image.kind === 'unsupported'
        ? image.reason
        : `it is a ${image.kind === 'vhdx' ? 'VHDX' : 'dynamic VHD'}, whose blocks are not laid out in order`;
    throw qemuRefuse.invalidArg(`${describe}: vPMEM maps a fixed VHD's data directly, and ${why}`);
  }
  if (image.dataSize === 0 || image.dataSize % PMEM_ALIGN !== 0) {
    throw qemuRefuse.invalidArg(
      `${describe}: its data is ${image.dataSize} bytes, not a multiple of 2 MiB; the Linux guest cannot map a pmem region that does not start and end on 2 MiB. Re-create the layer with \`uvm-layers layer create\` (it pads to 2 MiB), or create the UVM with --physically-backed to put layers on SCSI`,
    );
  }
  return image.dataSize;
}

/** A free root port and address for `sizeBytes`, or NO_AVAILABLE_LOCATION (the engine then uses SCSI). */
export function placePmem(
  state: QemuUvmState,
  sizeBytes: number,
  describe: string,
): { port: string; memaddr: number } {
  const inUse = pmemInUse(state);
  const parked = state.parked.length;
  const port = state.layout.rootPorts.find((p) => !inUse.some((d) => d.port === p));
  if (port === undefined) {
    throw qemuRefuse.noPmemLocation(
      `${describe}: all ${state.layout.rootPorts.length} PCIe root ports for vPMEM are taken (${parked} by parked devices, which QEMU cannot unplug)`,
    );
  }
  const memaddr = placeRegion(state.layout.pmemWindow, inUse, sizeBytes);
  if (memaddr === undefined) {
    throw qemuRefuse.noPmemLocation(
      `${describe}: the ${state.layout.pmemWindow.size / MiB} MiB vPMEM address window has no room for ${sizeBytes / MiB} MiB (${parked} parked devices keep theirs)`,
    );
  }
  return { port, memaddr };
}

export async function plugPmem(ctx: OpContext, change: VpmemAdd, undo: UndoStack): Promise<void> {
  const { device, hostPath } = change;
  const describe = `cannot add ${hostPath} as vPMEM device ${device} on utility VM ${ctx.uvm}`;
  if (!change.readOnly) {
    throw qemuRefuse.notImplemented(
      `${describe}: read-write vPMEM is not supported by the qemu backend (layers are read-only)`,
    );
  }
  const sizeBytes = pmemDataSize(hostPath, describe, change.imageFormat);
  const { port, memaddr } = placePmem(ctx.state, sizeBytes, describe);
  const serial = ++ctx.state.serial;
  const record: PmemDevice = {
    device,
    hostPath,
    sizeBytes,
    memaddr,
    port,
    objectId: `pmem${serial}-mem`,
    deviceId: `pmem${serial}`,
  };
  const what = `adding ${hostPath} as vPMEM device ${device} on utility VM ${ctx.uvm}`;
  const { qmp } = ctx.session;
  ctx.note({ kind: 'memory-backend', id: record.objectId });
  await qmpOk(qmp, what, 'object-add', {
    'qom-type': 'memory-backend-file',
    id: record.objectId,
    'mem-path': hostPath,
    size: sizeBytes,
    share: true,
    readonly: true,
  });
  const dropObject = undo.push(`delete memory backend ${record.objectId}`, () =>
    deleteObject(qmp, `undoing ${what}`, record.objectId),
  );
  ctx.note({ kind: 'pmem-device', record });
  await qmpOk(qmp, what, 'device_add', {
    driver: 'virtio-pmem-pci',
    id: record.deviceId,
    memdev: record.objectId,
    bus: port,
    memaddr,
  });
  // From here the backend is in use and the device cannot be unplugged: undo means parking.
  undo.drop(dropObject);
  ctx.state.pmem[String(device)] = record;
  undo.push(`park vPMEM device ${record.deviceId}`, () => {
    park(ctx.state, device, 'its add was rolled back; QEMU cannot unplug virtio-pmem');
    return Promise.resolve();
  });
}

export async function mountPmem(
  ctx: OpContext,
  change: VpmemMount,
  undo: UndoStack,
): Promise<void> {
  const record = ctx.state.pmem[String(change.device)];
  if (!record) {
    throw qemuRefuse.invalidArg(
      `cannot mount vPMEM device ${change.device} at ${change.mountPath} in utility VM ${ctx.uvm}: the qemu backend has no QEMU device for it`,
    );
  }
  const agent = await ctx.session.agent();
  ctx.note({ kind: 'guest-mount', path: change.mountPath });
  const { device } = await agent.mountPmem({
    memaddr: record.memaddr,
    path: change.mountPath,
    timeoutMs: GUEST_DEVICE_WAIT_MS,
  });
  record.guestDevice = device;
  undo.push(`unmount ${change.mountPath}`, () => unmountIfMounted(ctx, change.mountPath));
}

export async function unmountPmem(ctx: OpContext, change: VpmemUnmount): Promise<void> {
  await unmountIfMounted(ctx, change.mountPath);
}

export function parkPmem(ctx: OpContext, change: VpmemRemove): Promise<void> {
  park(ctx.state, change.device, 'removed; QEMU cannot unplug virtio-pmem');
  return Promise.resolve();
}

export function park(state: QemuUvmState, device: number, reason: string): void {
  const record = state.pmem[String(device)];
  if (!record) return;
  delete state.pmem[String(device)];
  state.parked.push({ ...record, parked: { at: new Date().toISOString(), reason } });
}
