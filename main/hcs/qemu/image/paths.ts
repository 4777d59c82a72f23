/** Where a built utility VM image lives under the state directory. */
import * as fs from 'node:fs';
import * as path from 'node:path';

export function imageDir(stateDir: string): string {
  return path.join(stateDir, 'image');
}

export function manifestPath(stateDir: string): string {
  return path.join(imageDir(stateDir), 'manifest.json');
}

/** Downloaded .deb files, kept so a rebuild (new agent, same kernel) needs no network. */
export function debCacheDir(stateDir: string): string {
  return path.join(imageDir(stateDir), 'cache');
}

/** The boot files QEMU is started with (-kernel, -initrd). */
export function imagePaths(stateDir: string): { kernel: string; initrd: string } {
  const dir = imageDir(stateDir);
  return { kernel: path.join(dir, 'vmlinuz'), initrd: path.join(dir, 'initrd.gz') };
}

/** True when a finished build is present (the manifest is written last). */
export function isImageBuilt(stateDir: string): boolean {
  const { kernel, initrd } = imagePaths(stateDir);
  return [manifestPath(stateDir), kernel, initrd].every((p) => fs.existsSync(p));
}
