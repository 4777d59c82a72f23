/** Builds an ext4 file-system image from a directory with mke2fs -d (no loop mount, no root). */
import * as fs from 'node:fs/promises';

import { UvmLayersError } from '../engine/errors.js';
import { requireExecutable, runTool } from './host-tools.js';
import { measureTree, roundUp, type TreeUsage } from './tree-size.js';

const MIB = 1024 * 1024;
/** vPMEM regions must start and end on 2 MiB in the guest (QEMU-NOTES §4), so images are padded. */
export const LAYER_ALIGNMENT = 2 * MIB;
const MIN_IMAGE = 4 * MIB;
const INODE_SIZE = 256;
/** Retries with a larger image when mke2fs runs out of blocks or inodes despite the estimate. */
const MAX_ATTEMPTS = 4;

export interface Ext4Image {
  sizeBytes: number;
  usage: TreeUsage;
}

/** First-guess image size: content, inode tables and fixed metadata, plus 15 % and 2 MiB headroom. */
export function estimateImageSize(usage: TreeUsage): number {
  const raw = usage.blocks * 4096 + (usage.inodes + 16) * INODE_SIZE + 2 * MIB;
  return Math.max(MIN_IMAGE, roundUp(Math.ceil(raw * 1.15) + 2 * MIB, LAYER_ALIGNMENT));
}

/**
 * Writes `image` (created or truncated) as a journal-less ext4 with 4 KiB blocks holding `dir`.
 * 4 KiB blocks let the guest mount it with DAX over vPMEM; no journal because layers are
 * read-only. The size is a multiple of 2 MiB.
 */
export async function buildExt4Image(
  dir: string,
  image: string,
  opaqueDirs: readonly string[] = [],
): Promise<Ext4Image> {
  const mke2fs = requireExecutable('mke2fs', 'e2fsprogs', 'creating a layer');
  const usage = await measureTree(dir);
  let size = estimateImageSize(usage);
  for (let attempt = 1; ; attempt++) {
    await fs.rm(image, { force: true });
    await fs.writeFile(image, '');
    await fs.truncate(image, size);
    try {
      await runTool(
        mke2fs,
        [
          '-q',
          '-F',
          '-t',
          'ext4',
          '-O',
          '^has_journal',
          '-b',
          '4096',
          '-m',
          '0',
          '-N',
          String(usage.inodes + 16),
          '-d',
          dir,
          image,
          `${size / 1024}k`,
        ],
        { what: `mke2fs for ${image}`, failureCode: 'INTERNAL' },
      );
      break;
    } catch (error) {
      const full = /Could not allocate|No space left|No free space|too many inodes/i.test(
        (error as Error).message,
      );
      if (!full || attempt >= MAX_ATTEMPTS) throw error;
      size = roundUp(Math.ceil(size * 1.5), LAYER_ALIGNMENT);
    }
  }
  if (opaqueDirs.length > 0) await markOpaque(image, opaqueDirs);
  return { sizeBytes: size, usage };
}

/**
 * Sets trusted.overlay.opaque=y on directories inside the image with debugfs: setting a trusted.*
 * xattr on the host would need CAP_SYS_ADMIN and a file system that keeps it, the image needs
 * neither.
 */
async function markOpaque(image: string, dirs: readonly string[]): Promise<void> {
  const debugfs = requireExecutable('debugfs', 'e2fsprogs', 'marking opaque directories');
  const commands = dirs
    .map((rel) => `ea_set ${debugfsQuote(`/${rel}`)} trusted.overlay.opaque y`)
    .join('\n');
  const cmdFile = `${image}.debugfs`;
  await fs.writeFile(cmdFile, `${commands}\n`);
  try {
    const { stderr } = await runTool(debugfs, ['-w', '-f', cmdFile, image], {
      what: `debugfs for ${image}`,
    });
    // debugfs exits 0 even when a command fails; anything besides its banner is an error.
    const problems = stderr
      .split('\n')
      .filter((line) => line.trim() !== '' && !/^debugfs \d/.test(line));
    if (problems.length > 0) {
      throw new UvmLayersError(
        'INTERNAL',
        `marking opaque directories in ${image} failed: ${problems.join(' | ')}`,
      );
    }
  } finally {
    await fs.rm(cmdFile, { force: true });
  }
}

/** debugfs (libss) arguments: double quotes group, and "" inside quotes is one quote. */
function debugfsQuote(p: string): string {
  if (/[\n\r]/.test(p))
    throw new UvmLayersError(
      'INVALID_ARGUMENT',
      `cannot mark ${JSON.stringify(p)} opaque: newline in the path`,
    );
  return `"${p.replace(/"/g, '""')}"`;
}
