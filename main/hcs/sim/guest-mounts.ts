/**
 * The guest's mounts of SCSI disks and vPMEM devices/mappings: one mount per path, never over an
 * existing mount or combined root, read-only where the device is, and no unmount while a
 * combined container root still uses the mount.
 */
import type { ApplyContext } from './apply-context.js';
import { findGuestKey } from './guest-paths.js';
import { combinedUsersOfMount } from './guest-usage.js';
import type { GuestChange } from './request-plan.js';
import { refuse } from './sim-errors.js';
import {
  scsiKey,
  scsiSource,
  vpmemSource,
  type SimGuestMount,
  type SimSystemState,
} from './sim-state.js';

type DiskMount = Extract<GuestChange, { kind: 'disk-mount' }>;
type DiskUnmount = Extract<GuestChange, { kind: 'disk-unmount' }>;
type VpmemMount = Extract<GuestChange, { kind: 'vpmem-mount' }>;
type VpmemUnmount = Extract<GuestChange, { kind: 'vpmem-unmount' }>;

export function mountDisk({ state }: ApplyContext, change: DiskMount): void {
  const source = scsiSource(change.controller, change.lun);
  const slot = state.scsi[scsiKey(change.controller, change.lun)];
  const describe = `cannot mount ${source} at ${change.mountPath} in utility VM ${state.id}`;
  if (!slot)
    throw refuse.notFound(
      `${describe}: no disk is attached at SCSI ${change.controller}:${change.lun}`,
    );
  const readOnly = change.readOnly ?? slot.readOnly;
  if (slot.readOnly && !readOnly) {
    throw refuse.accessDenied(
      `${describe}: the disk ${slot.path} is attached read-only and cannot be mounted read-write`,
    );
  }
  addMount(state, change.mountPath, { source, readOnly }, describe);
}

export function unmountDisk({ state }: ApplyContext, change: DiskUnmount): void {
  // An empty MountPath is an eject only: the guest forgets the disk, nothing is unmounted.
  if (change.mountPath === undefined) return;
  removeMount(state, change.mountPath, scsiSource(change.controller, change.lun));
}

export function mountVpmem({ state }: ApplyContext, change: VpmemMount): void {
  const offset = change.mapping?.offset;
  const source = vpmemSource(change.device, offset);
  const describe = `cannot mount ${source} at ${change.mountPath} in utility VM ${state.id}`;
  const device = state.vpmem[String(change.device)];
  const present =
    offset === undefined ? device?.hostPath !== undefined : device?.mappings?.[String(offset)];
  if (!present) throw refuse.notFound(`${describe}: the host has no such vPMEM device or mapping`);
  addMount(state, change.mountPath, { source, readOnly: true }, describe);
}

export function unmountVpmem({ state }: ApplyContext, change: VpmemUnmount): void {
  const offset = change.mapping?.offset;
  const source = vpmemSource(change.device, offset);
  const stored =
    offset === undefined
      ? undefined
      : state.vpmem[String(change.device)]?.mappings?.[String(offset)];
  const size = change.mapping?.sizeBytes;
  if (stored && size !== undefined && size !== stored.sizeBytes) {
    throw refuse.invalidArg(
      `cannot unmount ${source} at ${change.mountPath} in utility VM ${state.id}: ` +
        `MappingInfo.DeviceSizeInBytes ${size} differs from the mapping's ${stored.sizeBytes}`,
    );
  }
  removeMount(state, change.mountPath, source);
}

function addMount(
  state: SimSystemState,
  path: string,
  mount: SimGuestMount,
  describe: string,
): void {
  const mountedKey = findGuestKey(state.os, state.guest.mounts, path);
  if (mountedKey !== undefined) {
    const other = state.guest.mounts[mountedKey];
    throw refuse.busy(
      `${describe}: ${mountedKey} is already mounted (from ${other?.source ?? '?'}); ` +
        'cannot mount over an existing mountpoint',
    );
  }
  const rootKey = findGuestKey(state.os, state.guest.combined, path);
  if (rootKey !== undefined) {
    throw refuse.busy(`${describe}: ${rootKey} is a combined container root`);
  }
  state.guest.mounts[path] = mount;
}

function removeMount(state: SimSystemState, path: string, source: string): void {
  const describe = `cannot unmount ${source} from ${path} in utility VM ${state.id}`;
  const key = findGuestKey(state.os, state.guest.mounts, path);
  const mount = key === undefined ? undefined : state.guest.mounts[key];
  if (key === undefined || !mount) throw refuse.notFound(`${describe}: ${path} is not mounted`);
  if (mount.source !== source) {
    throw refuse.invalidArg(`${describe}: ${key} is mounted from ${mount.source}, not ${source}`);
  }
  const users = combinedUsersOfMount(state, key);
  if (users.length > 0) {
    throw refuse.busy(
      `${describe}: the mount is still used by the combined container root ${users.join(', ')} ` +
        '(device or resource busy)',
    );
  }
  delete state.guest.mounts[key];
}
