/** Measures a directory tree the way ext4 will store it, to size a layer image before mke2fs. */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';

const BLOCK = 4096;
/** ext4 keeps symlink targets shorter than 60 bytes inside the inode. */
const FAST_SYMLINK_MAX = 59;

export interface TreeUsage {
  /** Distinct inodes (hard links counted once), the root included. */
  inodes: number;
  /** 4 KiB blocks for file data, long symlink targets and directory entries. */
  blocks: number;
  /** Sum of regular file sizes, for reporting. */
  contentBytes: number;
}

/** Walks `root` without following symlinks. */
export async function measureTree(root: string): Promise<TreeUsage> {
  const usage: TreeUsage = { inodes: 0, blocks: 0, contentBytes: 0 };
  const seen = new Set<string>();
  const pending = [root];
  while (pending.length > 0) {
    const dir = pending.pop() as string;
    usage.inodes += 1;
    const entries = await fs.readdir(dir, { withFileTypes: true });
    // A directory entry costs 8 bytes plus the name, rounded to 4; blocks hold 4 KiB of them.
    const direntBytes = entries.reduce(
      (sum, e) => sum + 8 + roundUp(Buffer.byteLength(e.name) + 1, 4),
      24,
    );
    usage.blocks += Math.max(1, Math.ceil(direntBytes / BLOCK));
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        pending.push(full);
        continue;
      }
      const st = await fs.lstat(full, { bigint: true });
      const key = `${st.dev}:${st.ino}`;
      if (st.nlink > 1n) {
        if (seen.has(key)) continue;
        seen.add(key);
      }
      usage.inodes += 1;
      if (entry.isFile()) {
        const size = Number(st.size);
        usage.contentBytes += size;
        usage.blocks += Math.ceil(size / BLOCK);
      } else if (entry.isSymbolicLink() && Number(st.size) > FAST_SYMLINK_MAX) {
        usage.blocks += 1;
      }
    }
  }
  return usage;
}

/** Rounds `n` up to a multiple of `step`. */
export function roundUp(n: number, step: number): number {
  return Math.ceil(n / step) * step;
}
