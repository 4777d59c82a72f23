/** Queries over the guest view: who mounts a device, who uses a mount or a share. */
import { isWithinGuestPath, sameGuestPath, vsmbGuestPath } from './guest-paths.js';
import type { SimSystemState } from './sim-state.js';

/** Guest paths where the device `source` (`scsi 0:3`, `vpmem 2`, `vpmem 0@4096`) is mounted. */
export function mountsOfSource(state: SimSystemState, source: string): string[] {
  return Object.entries(state.guest.mounts)
    .filter(([, mount]) => mount.source === source)
    .map(([path]) => path);
}

/** Combined roots that use the mount at `mountPath` as a layer or hold their scratch in it. */
export function combinedUsersOfMount(state: SimSystemState, mountPath: string): string[] {
  const os = state.os;
  return Object.entries(state.guest.combined)
    .filter(
      ([root, combined]) =>
        (os === 'windows' && sameGuestPath(os, root, mountPath)) ||
        combined.layers.some((layer) => sameGuestPath(os, layer, mountPath)) ||
        isWithinGuestPath(os, combined.scratchPath, mountPath),
    )
    .map(([root]) => root);
}

/** Combined roots that use the VSMB share `name` as a layer. */
export function combinedUsersOfShare(state: SimSystemState, name: string): string[] {
  const sharePath = vsmbGuestPath(name);
  return Object.entries(state.guest.combined)
    .filter(([, combined]) =>
      combined.layers.some((layer) => sameGuestPath('windows', layer, sharePath)),
    )
    .map(([root]) => root);
}

export function findShareName(state: SimSystemState, name: string): string | undefined {
  if (Object.hasOwn(state.vsmb, name)) return name;
  return Object.keys(state.vsmb).find((key) => key.toLowerCase() === name.toLowerCase());
}
