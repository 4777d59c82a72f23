/** `scratch create`: FOLDER/sandbox.vhdx, the writable disk of a container or utility VM. */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';

import { UvmLayersError } from '../engine/errors.js';
import { requireExecutable, runTool } from './host-tools.js';

export const SCRATCH_FILE = 'sandbox.vhdx';
const MIB = 1024 * 1024;
/** hcsshim's default scratch is 20 GB; 1 GiB is plenty for tests and costs nothing (sparse). */
export const DEFAULT_SCRATCH_BYTES = 1024 * MIB;
/** The VHDX format's limit. */
const MAX_SCRATCH_BYTES = 64 * 1024 * 1024 * MIB;

/**
 * Creates an empty dynamic VHDX of `sizeBytes` (a multiple of 1 MiB) at `<folder>/sandbox.vhdx`.
 * It holds no file system yet: the guest agent formats it on first use (format_if_blank).
 * Refuses to replace an existing scratch, which would lose a container's writes.
 */
export async function createScratch(
  folder: string,
  sizeBytes: number = DEFAULT_SCRATCH_BYTES,
): Promise<string> {
  if (
    !Number.isSafeInteger(sizeBytes) ||
    sizeBytes < MIB ||
    sizeBytes > MAX_SCRATCH_BYTES ||
    sizeBytes % MIB !== 0
  ) {
    throw new UvmLayersError(
      'INVALID_ARGUMENT',
      `scratch size ${sizeBytes} must be a whole number of MiB between 1 MiB and 64 TiB`,
    );
  }
  const qemuImg = requireExecutable('qemu-img', 'qemu-utils', 'creating a scratch disk');
  const dir = path.resolve(folder);
  await fs.mkdir(dir, { recursive: true });
  const target = path.join(dir, SCRATCH_FILE);
  try {
    await fs.lstat(target);
    throw new UvmLayersError(
      'INVALID_ARGUMENT',
      `${target} already exists; remove it first or choose another folder`,
    );
  } catch (error) {
    if (error instanceof UvmLayersError) throw error;
  }
  // Built under a temporary name so a crash never leaves a half-written sandbox.vhdx behind.
  const partial = path.join(dir, `.${SCRATCH_FILE}.${process.pid}.partial`);
  try {
    await runTool(qemuImg, ['create', '-q', '-f', 'vhdx', partial, String(sizeBytes)], {
      what: `creating ${target}`,
    });
    await fs.rename(partial, target);
  } finally {
    await fs.rm(partial, { force: true });
  }
  return target;
}
