/** The host programs an image build needs, checked up front so one error names everything missing. */
import { UvmLayersError } from '../../../engine/errors.js';
import { findExecutable } from '../../../tools/host-tools.js';

export interface ImageTools {
  aptGet: string;
  aptCache: string;
  dpkgDeb: string;
  depmod: string;
  modprobe: string;
  mke2fs: string;
  ldd: string;
}

const REQUIRED: readonly { key: keyof ImageTools; name: string; pkg: string }[] = [
  { key: 'aptGet', name: 'apt-get', pkg: 'apt' },
  { key: 'aptCache', name: 'apt-cache', pkg: 'apt' },
  { key: 'dpkgDeb', name: 'dpkg-deb', pkg: 'dpkg' },
  { key: 'depmod', name: 'depmod', pkg: 'kmod' },
  { key: 'modprobe', name: 'modprobe', pkg: 'kmod' },
  { key: 'mke2fs', name: 'mke2fs', pkg: 'e2fsprogs' },
  { key: 'ldd', name: 'ldd', pkg: 'libc-bin' },
];

/**
 * Resolves every tool or throws BACKEND_UNAVAILABLE listing the missing ones and their packages.
 * The image is assembled from Debian packages, so a host without apt cannot build it at all.
 */
export function requireImageTools(
  find: (name: string) => string | undefined = findExecutable,
): ImageTools {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new UvmLayersError(
      'BACKEND_UNAVAILABLE',
      `building the utility VM image needs an x86-64 Linux host with apt (Debian or Ubuntu); this is ${process.platform}/${process.arch}`,
    );
  }
  const found: Partial<ImageTools> = {};
  const missing: string[] = [];
  for (const tool of REQUIRED) {
    const p = find(tool.name);
    if (p === undefined) missing.push(`${tool.name} (package ${tool.pkg})`);
    else found[tool.key] = p;
  }
  if (missing.length > 0) {
    const packages = [
      ...new Set(
        REQUIRED.filter((t) => missing.some((m) => m.startsWith(`${t.name} `))).map((t) => t.pkg),
      ),
    ];
    const aptMissing = missing.some((m) => m.startsWith('apt-get') || m.startsWith('dpkg-deb'));
    throw new UvmLayersError(
      'BACKEND_UNAVAILABLE',
      `building the utility VM image needs ${missing.join(', ')}. ` +
        (aptMissing
          ? 'The image is assembled from Debian packages: use a Debian or Ubuntu host (or container) with apt and dpkg, '
          : '') +
        `then install: apt-get install -y --no-install-recommends ${packages.filter((p) => p !== 'apt' && p !== 'dpkg').join(' ') || 'apt dpkg'}`,
    );
  }
  return found as ImageTools;
}
