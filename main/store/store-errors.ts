/**
 * The store's errors, worded once so every file kind (marker, record, intent, lock) tells the user
 * the same thing: which file, what is wrong with it, and what to do.
 */
import { UvmLayersError, wrapError } from '../engine/errors.js';

/** A file we cannot parse. We never overwrite it, so the user must move it aside. */
export function corruptFile(file: string, problem: string): UvmLayersError {
  return new UvmLayersError(
    'STORE_CORRUPT',
    `State file ${file} is corrupt (${problem}). uvm-layers will not overwrite it: ` +
      'move it aside (or restore it from a backup) and retry, or use another --state-dir.',
  );
}

/** A file written by a newer uvm-layers; reading or replacing it could lose what that version knows. */
export function newerFormat(file: string, found: number, supported: number): UvmLayersError {
  return new UvmLayersError(
    'STORE_VERSION',
    `State file ${file} has format version ${found}, but this uvm-layers supports version ` +
      `${supported} at most. It was written by a newer uvm-layers: upgrade uvm-layers or use ` +
      'another --state-dir.',
  );
}

/** The whole state directory belongs to a newer uvm-layers (its store.json says so). */
export function newerStore(dir: string, found: number, supported: number): UvmLayersError {
  return new UvmLayersError(
    'STORE_VERSION',
    `State directory ${dir} was created by a newer uvm-layers (store format version ${found}; ` +
      `this uvm-layers supports version ${supported}). Upgrade uvm-layers or use another --state-dir.`,
  );
}

/** An OS-level failure (permissions, disk full, ...) while touching `file`. */
export function ioError(action: string, file: string, cause: unknown): UvmLayersError {
  return wrapError(
    'STORE_IO',
    `Could not ${action} ${file} (check that the state directory is writable by this user and ` +
      'that the disk is not full, or use another --state-dir)',
    cause,
  );
}

export function invalidArgument(message: string): UvmLayersError {
  return new UvmLayersError('INVALID_ARGUMENT', message);
}

/** True for a Node fs error with the given errno code (ENOENT, EEXIST, ...). */
export function hasErrno(error: unknown, ...codes: string[]): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as NodeJS.ErrnoException).code;
  return typeof code === 'string' && codes.includes(code);
}
