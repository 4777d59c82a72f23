/** Refuses a create config HCS would not build a utility VM from (E_INVALIDARG). */
import type { UvmCreateConfig } from '../backend.js';
import { refuse } from './sim-errors.js';

export const MAX_SCSI_CONTROLLERS = 4;
export const MAX_VPMEM_COUNT = 128;
const PAGE_SIZE = 0x1000;

export function validateCreateConfig(config: UvmCreateConfig): void {
  const id: unknown = config.id;
  if (typeof id !== 'string' || id === '' || /[\\/\0]/.test(id)) {
    throw refuse.invalidArg(
      `cannot create utility VM "${String(id)}": the id must be a non-empty string without path separators`,
    );
  }
  const bad = (what: string): Error => refuse.invalidArg(`cannot create utility VM ${id}: ${what}`);
  const os: unknown = config.os;
  if (os !== 'linux' && os !== 'windows')
    throw bad(`os must be linux or windows, got ${String(os)}`);
  const controllers = config.scsiControllers;
  if (!isCount(controllers, MAX_SCSI_CONTROLLERS)) {
    throw bad(
      `SCSI controller count can't be more than ${MAX_SCSI_CONTROLLERS} (got ${controllers})`,
    );
  }
  if (os === 'windows' && controllers !== 1) {
    throw bad(`exactly 1 SCSI controller is required for WCOW (got ${controllers})`);
  }
  if (!isCount(config.vpmemCount, MAX_VPMEM_COUNT)) {
    throw bad(
      `VPMem device count cannot be greater than ${MAX_VPMEM_COUNT} (got ${config.vpmemCount})`,
    );
  }
  const size = config.vpmemMaxSizeBytes;
  if (!Number.isSafeInteger(size) || size <= 0 || size % PAGE_SIZE !== 0) {
    throw bad(`VPMemSizeBytes must be a positive multiple of ${PAGE_SIZE} (got ${size})`);
  }
  for (const flag of ['physicallyBacked', 'vpmemMultiMapping'] as const) {
    if (typeof config[flag] !== 'boolean') throw bad(`${flag} must be a boolean`);
  }
}

function isCount(value: number, max: number): boolean {
  return Number.isSafeInteger(value) && value >= 0 && value <= max;
}
