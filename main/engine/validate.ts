/**
 * Checks every request before anything is sent or stored: bad input gets one clear error and
 * changes nothing.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { UvmCreateConfig } from '../hcs/backend.js';
import { UvmLayersError } from './errors.js';
import {
  isAbsoluteLinuxGuestPath,
  isAbsoluteWindowsGuestPath,
  LAYER_VHD,
  SCRATCH_VHDX,
} from './paths.js';
import type { CreateUvmRequest, MountRequest, UnmountOp } from './service-api.js';

export const MAX_VPMEM_COUNT = 128;
export const DEFAULT_VPMEM_COUNT = 64;
export const DEFAULT_VPMEM_SIZE = 4 * 1024 ** 3;
export const MAX_SCSI_CONTROLLERS = 4;
const UVM_ID = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$/;

function invalid(message: string): UvmLayersError {
  return new UvmLayersError('INVALID_ARGUMENT', message);
}

export function validateUvmId(id: unknown): string {
  if (typeof id !== 'string' || !UVM_ID.test(id)) {
    throw invalid(
      `invalid utility VM id ${JSON.stringify(id)}: use 1-128 letters, digits, '.', '_', '@' or '-', starting with a letter or digit`,
    );
  }
  return id;
}

function integerIn(
  name: string,
  value: number | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v < min || v > max) {
    throw invalid(`${name} must be a whole number from ${min} to ${max} (got ${String(value)})`);
  }
  return v;
}

/** The create options with defaults applied, refused with hcsshim's messages where it has them. */
export function validateCreate(request: CreateUvmRequest): UvmCreateConfig {
  const id = validateUvmId(request.id);
  if (request.os !== 'linux' && request.os !== 'windows') {
    throw invalid(`--os must be linux or windows (got ${JSON.stringify(request.os)})`);
  }
  const vpmemCount = request.vpmemCount ?? DEFAULT_VPMEM_COUNT;
  if (!Number.isSafeInteger(vpmemCount) || vpmemCount < 0) {
    throw invalid(
      `--vpmem-count must be a whole number from 0 to ${MAX_VPMEM_COUNT} (got ${vpmemCount})`,
    );
  }
  if (vpmemCount > MAX_VPMEM_COUNT) {
    throw invalid(
      `VPMem device count cannot be greater than ${MAX_VPMEM_COUNT} (got ${vpmemCount})`,
    );
  }
  const vpmemMaxSizeBytes = request.vpmemMaxSizeBytes ?? DEFAULT_VPMEM_SIZE;
  if (!Number.isSafeInteger(vpmemMaxSizeBytes) || vpmemMaxSizeBytes <= 0) {
    throw invalid(`--vpmem-size must be a positive number of bytes (got ${vpmemMaxSizeBytes})`);
  }
  if (vpmemMaxSizeBytes % 4096 !== 0) {
    throw invalid(`VPMemSizeBytes must be a multiple of 4096 (got ${vpmemMaxSizeBytes})`);
  }
  const scsiControllers = integerIn('--scsi-controllers', request.scsiControllers, 1, 1, 4);
  if (request.os === 'windows' && scsiControllers !== 1) {
    throw invalid('exactly 1 SCSI controller is required for WCOW');
  }
  if (request.os === 'windows' && request.vpmemMultiMapping) {
    throw invalid('--vpmem-multi-mapping applies to Linux utility VMs only (WCOW layers use VSMB)');
  }
  const config: UvmCreateConfig = {
    id,
    os: request.os,
    vpmemCount,
    vpmemMaxSizeBytes,
    scsiControllers,
    physicallyBacked: request.physicallyBacked === true,
    vpmemMultiMapping: request.vpmemMultiMapping === true,
  };
  if (request.bootFilesPath !== undefined) config.bootFilesPath = request.bootFilesPath;
  if (request.utilityVmPath !== undefined) config.utilityVmPath = request.utilityVmPath;
  return config;
}

export interface CheckedMount {
  layers: string[];
  scratch: string;
}

function requireAbsoluteDir(folder: unknown, role: string): string {
  if (typeof folder !== 'string' || folder === '') throw invalid(`${role} folder must be a path`);
  if (!path.isAbsolute(folder)) {
    throw invalid(`${role} folder ${folder} is relative: give an absolute path`);
  }
  let stat: fs.Stats;
  try {
    stat = fs.statSync(folder);
  } catch {
    throw new UvmLayersError('LAYER_NOT_FOUND', `${role} folder ${folder} does not exist`);
  }
  if (!stat.isDirectory()) throw invalid(`${role} folder ${folder} is not a directory`);
  return path.normalize(folder);
}

/** Validates a guest root for the target: LCOW a POSIX path, WCOW a drive path, host any absolute path. */
export function validateGuestRoot(
  guestRoot: unknown,
  target: 'linux' | 'windows' | 'host',
): string {
  if (typeof guestRoot !== 'string' || guestRoot === '') throw invalid('--guest-root is required');
  const ok =
    target === 'linux'
      ? isAbsoluteLinuxGuestPath(guestRoot)
      : target === 'windows'
        ? isAbsoluteWindowsGuestPath(guestRoot)
        : isAbsoluteLinuxGuestPath(guestRoot) || isAbsoluteWindowsGuestPath(guestRoot);
  if (!ok) {
    const expected =
      target === 'linux'
        ? 'an absolute Linux path such as /run/gcs/c/<id>'
        : target === 'windows'
          ? 'a drive path such as C:\\c\\1'
          : 'an absolute path (the container key in the ledger)';
    throw invalid(`--guest-root ${guestRoot} is not ${expected}`);
  }
  return guestRoot;
}

/** Folders: read-only layers (base first), then the scratch; each must exist as the OS needs. */
export function validateMountFolders(
  request: MountRequest,
  target: 'linux' | 'windows' | 'host',
): CheckedMount {
  if (!Array.isArray(request.layers) || request.layers.length === 0) {
    throw invalid('need at least two folders: one or more layers and the scratch (last)');
  }
  const layers = request.layers.map((f) => requireAbsoluteDir(f, 'layer'));
  const seen = new Set<string>();
  for (const layer of layers) {
    if (seen.has(layer)) throw invalid(`layer folder ${layer} is given twice`);
    seen.add(layer);
    if (target === 'linux' && !isFile(path.join(layer, LAYER_VHD))) {
      throw new UvmLayersError('LAYER_NOT_FOUND', `layer folder ${layer} has no ${LAYER_VHD}`);
    }
  }
  const scratch = requireAbsoluteDir(request.scratch, 'scratch');
  if (seen.has(scratch)) throw invalid(`scratch folder ${scratch} is also given as a layer`);
  if (!isFile(path.join(scratch, SCRATCH_VHDX))) {
    throw new UvmLayersError(
      'SCRATCH_NOT_FOUND',
      `scratch folder ${scratch} has no ${SCRATCH_VHDX} (or it is a broken link); create one or pass the right folder last`,
    );
  }
  return { layers, scratch };
}

function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

export function validateUnmountOps(ops: unknown): UnmountOp[] {
  if (ops === undefined) return [];
  if (!Array.isArray(ops)) throw invalid('--op must be a list of scsi, vsmb, vpmem or all');
  for (const op of ops) {
    if (op !== 'scsi' && op !== 'vsmb' && op !== 'vpmem') {
      throw invalid(
        `unknown unmount operation ${JSON.stringify(op)}: use scsi, vsmb, vpmem or all`,
      );
    }
  }
  return ops as UnmountOp[];
}
