/**
 * OCI layer tars mark deletions with `.wh.<name>` files and opaque directories with
 * `.wh..wh..opq`; overlayfs in the utility VM expects a char device 0/0 named `<name>` and the
 * `trusted.overlay.opaque=y` xattr instead. This converts an extracted tree in place (the
 * opaque xattrs are applied to the finished image, see ext4-image.ts).
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';

import { UvmLayersError } from '../engine/errors.js';
import { requireExecutable, runTool } from './host-tools.js';

const WHITEOUT_PREFIX = '.wh.';
const OPAQUE_MARKER = '.wh..wh..opq';

export interface WhiteoutConversion {
  /** Paths (relative to the root, '/'-separated, '' for the root) deleted by whiteouts. */
  whiteouts: string[];
  /** Directories (relative, '' for the root) that hide everything below them in lower layers. */
  opaqueDirs: string[];
}

/** Finds the OCI markers under `root` without touching anything. */
export async function findWhiteouts(root: string): Promise<WhiteoutConversion> {
  const result: WhiteoutConversion = { whiteouts: [], opaqueDirs: [] };
  const pending = [''];
  while (pending.length > 0) {
    const rel = pending.pop() as string;
    const entries = await fs.readdir(path.join(root, rel), { withFileTypes: true });
    for (const entry of entries) {
      const childRel = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (entry.name === OPAQUE_MARKER) {
        result.opaqueDirs.push(rel);
      } else if (entry.name.startsWith(WHITEOUT_PREFIX)) {
        const target = entry.name.slice(WHITEOUT_PREFIX.length);
        result.whiteouts.push(rel === '' ? target : `${rel}/${target}`);
      } else if (entry.isDirectory()) {
        pending.push(childRel);
      }
    }
  }
  result.whiteouts.sort();
  result.opaqueDirs.sort();
  return result;
}

/**
 * Replaces each `.wh.<name>` with a char device 0/0 `<name>` and deletes each `.wh..wh..opq`.
 * mknod needs root (CAP_MKNOD); without it this fails before changing anything.
 */
export async function convertWhiteouts(root: string): Promise<WhiteoutConversion> {
  const found = await findWhiteouts(root);
  if (found.whiteouts.length > 0 && process.getuid?.() !== 0) {
    throw new UvmLayersError(
      'NOT_SUPPORTED',
      `the layer has ${found.whiteouts.length} whiteout(s) (first: ${found.whiteouts[0] ?? ''}); turning them into ` +
        'overlay whiteouts (char device 0/0) needs mknod, which needs root: run as root',
    );
  }
  const mknod =
    found.whiteouts.length > 0
      ? requireExecutable('mknod', 'coreutils', 'creating overlay whiteouts')
      : '';
  for (const rel of found.whiteouts) {
    const target = path.join(root, rel);
    const marker = path.join(path.dirname(target), WHITEOUT_PREFIX + path.basename(target));
    if (await exists(target)) {
      throw new UvmLayersError(
        'INVALID_ARGUMENT',
        `the layer has both /${rel} and its whiteout ${WHITEOUT_PREFIX}${path.basename(target)}`,
      );
    }
    await fs.rm(marker, { recursive: true, force: true });
    // Mode 000 as Docker and containerd create whiteouts; overlayfs only looks at the 0/0 device.
    await runTool(mknod, ['-m', '000', target, 'c', '0', '0'], { what: `whiteout /${rel}` });
  }
  for (const rel of found.opaqueDirs) {
    await fs.rm(path.join(root, rel, OPAQUE_MARKER), { force: true });
  }
  return found;
}

async function exists(p: string): Promise<boolean> {
  try {
    await fs.lstat(p);
    return true;
  } catch {
    return false;
  }
}
