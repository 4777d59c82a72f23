/** Guest path formats (exactly hcsshim's) and host path normalisation (fix B10). */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UvmLayersError } from './errors.js';

export const VSMB_SHARE_PREFIX = '\\\\?\\VMSMB\\VSMB-{dcc079ae-60ba-4d07-847c-3493609c0870}\\';
export const LAYER_VHD = 'layer.vhd';
export const SCRATCH_VHDX = 'sandbox.vhdx';

export const guestPaths = {
  vpmem: (device: number): string => `/run/layers/p${device}`,
  vpmemMapped: (device: number, offset: number, size: number): string =>
    `/run/layers/p${device}-${offset}-${size}`,
  scsiMount: (counter: number): string => `/run/mounts/m${counter}`,
  vsmbShare: (name: string): string => `${VSMB_SHARE_PREFIX}${name}`,
  lcowRootfs: (guestRoot: string): string => `${guestRoot.replace(/\/+$/, '')}/rootfs`,
  sharedScratch: (scratchUvmPath: string, guestRoot: string): string =>
    `${scratchUvmPath}/container_${posixBase(guestRoot)}`,
} as const;

function posixBase(p: string): string {
  const trimmed = p.replace(/\/+$/, '');
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}

/** VSMB share names: "s" + the counter in hex ("s1", ..., "sa"). */
export function vsmbShareName(counter: number): string {
  return `s${counter.toString(16)}`;
}

const isWindows = process.platform === 'win32';

/**
 * The key a host file is known by: absolute, cleaned, symlinks resolved when the file exists,
 * case-folded on Windows, so `C:\x` and `c:\X\` name one device.
 */
export function normalizeHostPath(p: string): string {
  let resolved = path.resolve(p);
  try {
    resolved = fs.realpathSync.native(resolved);
  } catch {
    // A path that no longer exists keeps its cleaned form: teardown must not need the file.
  }
  return isWindows ? resolved.toLowerCase() : resolved;
}

/** Joins with the host's separator, as hcsshim does for `<folder>\layer.vhd`. */
export function layerVhdPath(folder: string): string {
  return path.join(folder, LAYER_VHD);
}

export function isAbsoluteLinuxGuestPath(p: string): boolean {
  return p.startsWith('/') && !p.split('/').includes('..');
}

export function isAbsoluteWindowsGuestPath(p: string): boolean {
  return /^[A-Za-z]:\\/.test(p) && !p.split('\\').includes('..');
}

/** The scratch's sandbox.vhdx with symlinks resolved (a link means "share that scratch"). */
export function resolveScratchVhdx(scratchFolder: string): string {
  const file = path.join(scratchFolder, SCRATCH_VHDX);
  try {
    const real = fs.realpathSync.native(path.resolve(file));
    return isWindows ? real.toLowerCase() : real;
  } catch (error) {
    throw new UvmLayersError(
      'SCRATCH_NOT_FOUND',
      `scratch folder ${scratchFolder} has no usable ${SCRATCH_VHDX} (${(error as Error).message}); create one or pass the right folder last`,
    );
  }
}
