/**
 * Guest path rules: LCOW paths are absolute POSIX paths compared exactly after normalisation;
 * WCOW paths are drive paths (`C:\c\1`) compared case-insensitively. VSMB shares appear in a
 * Windows guest under one fixed UNC prefix followed by the share name.
 */
import { posix } from 'node:path';
import type { UvmOs } from '../backend.js';

export const VSMB_GUEST_PREFIX = '\\\\?\\VMSMB\\VSMB-{dcc079ae-60ba-4d07-847c-3493609c0870}\\';

const WCOW_DRIVE_PATH = /^[A-Za-z]:\\/;

/** The normalised form of a valid guest path, or undefined when it is not one for this OS. */
export function normaliseGuestPath(os: UvmOs, path: string): string | undefined {
  if (path.includes('\0')) return undefined;
  if (os === 'linux') {
    if (!path.startsWith('/')) return undefined;
    const clean = posix.normalize(path);
    return clean.length > 1 && clean.endsWith('/') ? clean.slice(0, -1) : clean;
  }
  if (!WCOW_DRIVE_PATH.test(path)) return undefined;
  const clean = path.replace(/\\+/g, '\\');
  return clean.length > 3 && clean.endsWith('\\') ? clean.slice(0, -1) : clean;
}

/** What a valid guest path looks like on this OS, for messages. */
export function guestPathRule(os: UvmOs): string {
  return os === 'linux' ? 'an absolute POSIX path' : 'a drive path such as C:\\c\\1';
}

export function sameGuestPath(os: UvmOs, a: string, b: string): boolean {
  return os === 'linux' ? a === b : a.toLowerCase() === b.toLowerCase();
}

/** True when `child` is `parent` or lies inside it. */
export function isWithinGuestPath(os: UvmOs, child: string, parent: string): boolean {
  if (sameGuestPath(os, child, parent)) return true;
  const separator = os === 'linux' ? '/' : '\\';
  const prefix = parent.endsWith(separator) ? parent : parent + separator;
  return os === 'linux'
    ? child.startsWith(prefix)
    : child.toLowerCase().startsWith(prefix.toLowerCase());
}

/** The key under which `path` is stored in `record`, if any (case rules of the OS). */
export function findGuestKey(
  os: UvmOs,
  record: Record<string, unknown>,
  path: string,
): string | undefined {
  if (Object.hasOwn(record, path)) return path;
  return Object.keys(record).find((key) => sameGuestPath(os, key, path));
}

export function vsmbGuestPath(shareName: string): string {
  return VSMB_GUEST_PREFIX + shareName;
}

/** The share name in a VSMB guest path, or undefined when the path is not one. */
export function vsmbShareNameOf(guestPath: string): string | undefined {
  if (guestPath.length <= VSMB_GUEST_PREFIX.length) return undefined;
  if (
    guestPath.slice(0, VSMB_GUEST_PREFIX.length).toLowerCase() !== VSMB_GUEST_PREFIX.toLowerCase()
  ) {
    return undefined;
  }
  const name = guestPath.slice(VSMB_GUEST_PREFIX.length).replace(/\\$/, '');
  return name === '' || name.includes('\\') ? undefined : name;
}
