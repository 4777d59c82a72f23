/** Helpers for the layer-tool tests: host programs and a throwaway folder per test. */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';

import { findExecutable } from './host-tools.js';

export const qemuImg = findExecutable('qemu-img');
export const debugfs = findExecutable('debugfs');
export const mke2fs = findExecutable('mke2fs');
export const isRoot = process.getuid?.() === 0;

export async function tempFolder(
  prefix: string,
): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), `uvm-layers-${prefix}-`));
  return { dir, cleanup: () => fs.rm(dir, { recursive: true, force: true }) };
}

/** Runs debugfs read-only against a raw ext4 image (or a fixed VHD: the footer is past the end). */
export function debugfsRun(image: string, request: string): string {
  if (debugfs === undefined) throw new Error('debugfs missing');
  return execFileSync(debugfs, ['-R', request, image], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export function qemuImgInfo(
  file: string,
  format: string,
): { format: string; 'virtual-size': number } {
  if (qemuImg === undefined) throw new Error('qemu-img missing');
  const out = execFileSync(qemuImg, ['info', '-f', format, '--output=json', file], {
    encoding: 'utf8',
  });
  return JSON.parse(out) as { format: string; 'virtual-size': number };
}
