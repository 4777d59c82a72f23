/** The kernel modules the utility VM loads, in an order insmod can follow. */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';

import { UvmLayersError } from '../../../engine/errors.js';
import { runTool } from '../../../tools/host-tools.js';
import type { ImageTools } from './host-requirements.js';

/**
 * The cloud kernel's drivers for everything the QEMU backend attaches (QEMU-NOTES §2): virtio PCI,
 * SCSI disks, virtio-pmem, overlayfs, virtiofs, and the virtio-serial agent port. ext4 is built in.
 * virtio_rng is extra: with `-device virtio-rng-pci` the guest's CRNG is seeded at boot instead of
 * seconds later (nothing in the image waits for it any more, but guest programs might).
 */
export const UVM_MODULES: readonly string[] = [
  'virtio_ring',
  'virtio',
  'virtio_pci_modern_dev',
  'virtio_pci_legacy_dev',
  'virtio_pci',
  'scsi_common',
  'scsi_mod',
  'virtio_scsi',
  'sd_mod',
  'overlay',
  'libnvdimm',
  'nd_virtio',
  'virtio_pmem',
  'nd_btt',
  'nd_pmem',
  'fuse',
  'virtiofs',
  'virtio_console',
  'virtio_rng',
];

/**
 * Module files (relative to lib/modules/<release>/) for `modules` and their dependencies,
 * dependencies first, each once. The kernel .deb ships no modules.dep, so depmod builds one in
 * the unpacked tree first; built-in modules are skipped.
 */
export async function resolveModuleOrder(
  tools: ImageTools,
  root: string,
  release: string,
  modules: readonly string[] = UVM_MODULES,
): Promise<string[]> {
  const modDir = path.join(root, 'lib', 'modules', release);
  try {
    await fs.access(modDir);
  } catch {
    throw new UvmLayersError(
      'INTERNAL',
      `the kernel package has no ${path.join('lib', 'modules', release)}`,
    );
  }
  await runTool(tools.depmod, ['-b', root, release], { what: `depmod for ${release}` });
  const ordered: string[] = [];
  for (const mod of modules) {
    const { stdout } = await runTool(
      tools.modprobe,
      ['-d', root, '-S', release, '--show-depends', mod],
      {
        what: `resolving kernel module ${mod} for ${release}`,
      },
    );
    for (const file of parseShowDepends(stdout)) {
      const rel = path.relative(modDir, file);
      if (rel.startsWith('..'))
        throw new UvmLayersError('INTERNAL', `module ${file} is outside ${modDir}`);
      if (!ordered.includes(rel)) ordered.push(rel);
    }
  }
  return ordered;
}

/** `modprobe --show-depends` prints `insmod <path> [params]` per file and `builtin <name>` for built-ins. */
export function parseShowDepends(output: string): string[] {
  const files: string[] = [];
  for (const line of output.split('\n')) {
    const m = /^insmod (\S+)/.exec(line.trim());
    if (m?.[1] !== undefined) files.push(m[1]);
  }
  return files;
}
