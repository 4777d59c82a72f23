/**
 * CombinedLayers: the guest builds a container root from mounted layers. LCOW overlays mounted
 * vPMEM/SCSI layer paths with a writable scratch directory inside a mounted scratch disk (never
 * shared by two roots); WCOW attaches its filter over VSMB layer shares at the mount point of a
 * read-write scratch disk.
 */
import type { ApplyContext } from './apply-context.js';
import {
  findGuestKey,
  isWithinGuestPath,
  sameGuestPath,
  VSMB_GUEST_PREFIX,
  vsmbShareNameOf,
} from './guest-paths.js';
import { findShareName } from './guest-usage.js';
import type { GuestChange } from './request-plan.js';
import { refuse } from './sim-errors.js';
import { scsiKey, type SimCombinedRoot, type SimSystemState } from './sim-state.js';

type Combine = Extract<GuestChange, { kind: 'combine' }>;
type Uncombine = Extract<GuestChange, { kind: 'uncombine' }>;

export function combineLayers({ state }: ApplyContext, change: Combine): void {
  const describe = `cannot combine layers at ${change.root} in utility VM ${state.id}`;
  const combinedKey = findGuestKey(state.os, state.guest.combined, change.root);
  if (combinedKey !== undefined) {
    throw refuse.busy(`${describe}: ${combinedKey} is already a combined container root`);
  }
  const combined =
    state.os === 'linux'
      ? combineLcow(state, change, describe)
      : combineWcow(state, change, describe);
  state.guest.combined[change.root] = combined;
}

export function removeCombinedLayers({ state }: ApplyContext, change: Uncombine): void {
  const key = findGuestKey(state.os, state.guest.combined, change.root);
  if (key === undefined) {
    throw refuse.notFound(
      `cannot remove combined layers at ${change.root} in utility VM ${state.id}: it is not a combined container root`,
    );
  }
  delete state.guest.combined[key];
}

function combineLcow(state: SimSystemState, change: Combine, describe: string): SimCombinedRoot {
  const mountKey = findGuestKey(state.os, state.guest.mounts, change.root);
  if (mountKey !== undefined) {
    throw refuse.busy(`${describe}: ${mountKey} is a device mount`);
  }
  for (const layer of change.layers) {
    if (findGuestKey(state.os, state.guest.mounts, layer.path) === undefined) {
      throw refuse.pathNotFound(`${describe}: layer ${layer.path} is not mounted in the guest`);
    }
  }
  const scratchPath = change.scratchPath;
  if (scratchPath === undefined) {
    throw refuse.invalidArg(`${describe}: ScratchPath is required for a Linux utility VM`);
  }
  const scratchMount = Object.entries(state.guest.mounts)
    .filter(([path]) => isWithinGuestPath(state.os, scratchPath, path))
    .sort(([a], [b]) => b.length - a.length)[0];
  if (!scratchMount) {
    throw refuse.pathNotFound(
      `${describe}: scratch ${scratchPath} is neither a mounted path nor inside one`,
    );
  }
  const [scratchMountPath, mount] = scratchMount;
  if (mount.readOnly) {
    throw refuse.accessDenied(
      `${describe}: scratch ${scratchPath} lies on the read-only mount ${scratchMountPath} (${mount.source})`,
    );
  }
  const sharer = Object.entries(state.guest.combined).find(([, other]) =>
    sameGuestPath(state.os, other.scratchPath, scratchPath),
  );
  if (sharer) {
    throw refuse.busy(
      `${describe}: scratch ${scratchPath} is already the scratch of ${sharer[0]}; ` +
        'two roots cannot share one upper directory',
    );
  }
  return { layers: change.layers.map((layer) => layer.path), scratchPath };
}

function combineWcow(state: SimSystemState, change: Combine, describe: string): SimCombinedRoot {
  const mountKey = findGuestKey(state.os, state.guest.mounts, change.root);
  const mount = mountKey === undefined ? undefined : state.guest.mounts[mountKey];
  const slot = mount?.source.startsWith('scsi ')
    ? state.scsi[scsiKey(...parseScsiSource(mount.source))]
    : undefined;
  if (!mount || !slot) {
    throw refuse.pathNotFound(
      `${describe}: ContainerRootPath must be the ContainerPath of a mounted scratch disk`,
    );
  }
  if (slot.readOnly) {
    throw refuse.accessDenied(
      `${describe}: ${mountKey ?? change.root} is a read-only disk (${mount.source}), not a scratch`,
    );
  }
  const ids: string[] = [];
  for (const layer of change.layers) {
    const shareName = vsmbShareNameOf(layer.path);
    if (shareName === undefined) {
      throw refuse.invalidArg(
        `${describe}: layer path ${layer.path} is not a VSMB share path (${VSMB_GUEST_PREFIX}<name>)`,
      );
    }
    if (findShareName(state, shareName) === undefined) {
      throw refuse.pathNotFound(
        `${describe}: layer ${layer.path} names VSMB share ${shareName}, which does not exist`,
      );
    }
    ids.push(layer.id ?? '');
  }
  return {
    layers: change.layers.map((layer) => layer.path),
    layerIds: ids,
    scratchPath: mountKey ?? change.root,
  };
}

function parseScsiSource(source: string): [number, number] {
  const [controller, lun] = source.slice('scsi '.length).split(':').map(Number);
  return [controller ?? -1, lun ?? -1];
}
