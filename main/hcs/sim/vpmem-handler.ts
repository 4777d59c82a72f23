/**
 * vPMEM devices (one VHD each, at most vpmemMaxSizeBytes) and multi-mapping devices (a 4 GiB
 * device created by its first mapping, at most 1024 page-aligned, non-overlapping mappings).
 * HCS refuses to remove a mapped device without its offset-0 mapping or with none at all.
 */
import type { ApplyContext } from './apply-context.js';
import { mountsOfSource } from './guest-usage.js';
import type { HostChange } from './request-plan.js';
import { refuse } from './sim-errors.js';
import { vpmemSource, type SimSystemState, type SimVpmemDevice } from './sim-state.js';

export const PAGE_SIZE = 0x1000;
/** Capacity of a multi-mapping device (hcsshim's pool size, not the configured max size). */
export const MAPPED_DEVICE_SIZE = 4 * 1024 * 1024 * 1024;
export const MAX_MAPPINGS_PER_DEVICE = 1024;

type VpmemAdd = Extract<HostChange, { kind: 'vpmem-add' }>;
type VpmemRemove = Extract<HostChange, { kind: 'vpmem-remove' }>;
type MappingAdd = Extract<HostChange, { kind: 'mapping-add' }>;
type MappingRemove = Extract<HostChange, { kind: 'mapping-remove' }>;

export function addVpmemDevice({ state, files }: ApplyContext, change: VpmemAdd): void {
  const { device, hostPath } = change;
  checkDeviceInRange(state, device);
  const name = `vPMEM device ${device} on utility VM ${state.id}`;
  const existing = state.vpmem[String(device)];
  if (existing) throw refuse.alreadyExists(`${name} is already occupied by ${describe(existing)}`);
  const describeAdd = `cannot add ${hostPath} as ${name}`;
  const file = files.file(hostPath, describeAdd);
  const max = state.limits.vpmemMaxSizeBytes;
  if (file.sizeBytes > max) {
    throw refuse.invalidArg(
      `${describeAdd}: the file is ${file.sizeBytes} bytes, over the vPMEM maximum of ${max} bytes`,
    );
  }
  state.vpmem[String(device)] = {
    hostPath,
    sizeBytes: file.sizeBytes,
    readOnly: change.readOnly,
    ...(change.imageFormat === undefined ? {} : { imageFormat: change.imageFormat }),
  };
}

export function removeVpmemDevice({ state }: ApplyContext, change: VpmemRemove): void {
  const { device } = change;
  checkDeviceInRange(state, device);
  const name = `vPMEM device ${device} on utility VM ${state.id}`;
  const existing = state.vpmem[String(device)];
  if (!existing) throw refuse.notFound(`${name} does not exist; there is nothing to remove`);
  if (existing.mappings) {
    const offsets = Object.keys(existing.mappings);
    if (offsets.length === 0) {
      throw refuse.invalidState(
        `${name} has no mappings left; HCS cannot remove an empty mapped device`,
      );
    }
    if (!offsets.includes('0')) {
      throw refuse.invalidState(
        `${name} has no mapping at offset 0; HCS cannot remove a mapped device without it`,
      );
    }
    for (const offset of offsets) checkNotMounted(state, vpmemSource(device, Number(offset)), name);
  } else {
    checkNotMounted(state, vpmemSource(device), name);
  }
  delete state.vpmem[String(device)];
}

export function addVpmemMapping({ state, files }: ApplyContext, change: MappingAdd): void {
  const { device, offset, hostPath } = change;
  checkDeviceInRange(state, device);
  const deviceName = `vPMEM device ${device} on utility VM ${state.id}`;
  const mappingName = `vPMEM mapping ${device}@${offset} on utility VM ${state.id}`;
  const existing = state.vpmem[String(device)];
  if (existing && !existing.mappings) {
    throw refuse.alreadyExists(
      `${deviceName} is already occupied by the single VHD ${describe(existing)}; it takes no mappings`,
    );
  }
  const mappings = existing?.mappings ?? {};
  const count = Object.keys(mappings).length;
  if (count >= MAX_MAPPINGS_PER_DEVICE) {
    throw refuse.invalidArg(
      `${deviceName} already holds ${count} mappings, the maximum; cannot add ${mappingName}`,
    );
  }
  if (offset % PAGE_SIZE !== 0) {
    throw refuse.invalidArg(`${mappingName}: offset ${offset} is not a multiple of ${PAGE_SIZE}`);
  }
  const occupant = mappings[String(offset)];
  if (occupant) {
    throw refuse.alreadyExists(`${mappingName} is already occupied by ${occupant.hostPath}`);
  }
  const describeAdd = `cannot map ${hostPath} at ${mappingName}`;
  const file = files.file(hostPath, describeAdd);
  const sizeBytes = change.sizeBytes ?? pageAlign(file.sizeBytes);
  if (sizeBytes === 0 || sizeBytes % PAGE_SIZE !== 0) {
    throw refuse.invalidArg(
      `${describeAdd}: DeviceSizeInBytes ${sizeBytes} must be a non-zero multiple of ${PAGE_SIZE}`,
    );
  }
  if (sizeBytes < file.sizeBytes) {
    throw refuse.invalidArg(
      `${describeAdd}: DeviceSizeInBytes ${sizeBytes} is smaller than the file (${file.sizeBytes} bytes)`,
    );
  }
  const end = offset + sizeBytes;
  if (end > MAPPED_DEVICE_SIZE) {
    throw refuse.invalidArg(
      `${describeAdd}: bytes ${offset}-${end} lie outside the ${MAPPED_DEVICE_SIZE}-byte device`,
    );
  }
  for (const [otherOffset, other] of Object.entries(mappings)) {
    const start = Number(otherOffset);
    if (offset < start + other.sizeBytes && start < end) {
      throw refuse.invalidArg(
        `${describeAdd}: bytes ${offset}-${end} overlap the mapping of ${other.hostPath} at ` +
          `${start}-${start + other.sizeBytes}`,
      );
    }
  }
  mappings[String(offset)] = {
    hostPath,
    sizeBytes,
    ...(change.imageFormat === undefined ? {} : { imageFormat: change.imageFormat }),
  };
  state.vpmem[String(device)] = { ...existing, mappings };
}

export function removeVpmemMapping({ state }: ApplyContext, change: MappingRemove): void {
  const { device, offset } = change;
  checkDeviceInRange(state, device);
  const mappingName = `vPMEM mapping ${device}@${offset} on utility VM ${state.id}`;
  const mappings = state.vpmem[String(device)]?.mappings;
  const existing = mappings?.[String(offset)];
  if (!mappings || !existing) {
    throw refuse.notFound(`${mappingName} does not exist; there is nothing to remove`);
  }
  checkNotMounted(state, vpmemSource(device, offset), `${mappingName} (${existing.hostPath})`);
  // The device itself stays: HCS keeps a mapped device when its last mapping goes.
  delete mappings[String(offset)];
}

function checkDeviceInRange(state: SimSystemState, device: number): void {
  const count = state.limits.vpmemCount;
  if (device >= count) {
    const has = count === 0 ? 'it has no vPMEM devices' : `it has ${count}: devices 0-${count - 1}`;
    throw refuse.invalidArg(
      `vPMEM device ${device} does not exist on utility VM ${state.id} (${has})`,
    );
  }
}

function checkNotMounted(state: SimSystemState, source: string, name: string): void {
  const mounted = mountsOfSource(state, source);
  if (mounted.length > 0) {
    throw refuse.busy(
      `${name} is still mounted in the guest at ${mounted.join(', ')}; ` +
        'the guest must unmount it first (device or resource busy)',
    );
  }
}

function describe(device: SimVpmemDevice): string {
  if (device.mappings)
    return `a multi-mapping device with ${Object.keys(device.mappings).length} mappings`;
  return device.hostPath ?? 'an unknown VHD';
}

function pageAlign(size: number): number {
  return Math.ceil(size / PAGE_SIZE) * PAGE_SIZE;
}
