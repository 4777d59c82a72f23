/** Picking and fetching Debian packages without installing them (apt-get download + dpkg-deb -x). */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';

import { UvmLayersError } from '../../../engine/errors.js';
import { runTool } from '../../../tools/host-tools.js';
import type { ImageTools } from './host-requirements.js';

const CLOUD_KERNEL_META = 'linux-image-cloud-amd64';
const CLOUD_KERNEL_RE = /^linux-image-(\d[\w.+~-]*-cloud-amd64)$/;

export interface KernelChoice {
  /** e.g. linux-image-6.1.0-57-cloud-amd64 */
  pkg: string;
  /** The release string (uname -r, the modules directory), e.g. 6.1.0-57-cloud-amd64. */
  release: string;
  /** The Debian package version, e.g. 6.1.192-3. */
  version: string;
}

/** The candidate version of `pkg` (what apt would install), or undefined when apt knows none. */
export async function candidateVersion(
  tools: ImageTools,
  pkg: string,
): Promise<string | undefined> {
  const { stdout } = await runTool(tools.aptCache, ['policy', pkg], {
    what: `apt-cache policy ${pkg}`,
    failureCode: 'BACKEND_UNAVAILABLE',
  });
  const m = /^\s*Candidate:\s*(\S+)/m.exec(stdout);
  return m?.[1] === undefined || m[1] === '(none)' ? undefined : m[1];
}

/**
 * The newest installable cloud kernel: what the linux-image-cloud-amd64 meta-package depends on
 * (Debian points it at the current ABI), else the highest-numbered linux-image-*-cloud-amd64.
 */
export async function newestCloudKernel(tools: ImageTools): Promise<KernelChoice> {
  let pkg: string | undefined;
  const meta = await runTool(tools.aptCache, ['depends', CLOUD_KERNEL_META], {
    what: 'apt-cache depends',
  }).catch(() => undefined);
  const dep = meta && /Depends:\s*(linux-image-\S+-cloud-amd64)\b/.exec(meta.stdout);
  if (dep?.[1] !== undefined) pkg = dep[1];
  if (pkg === undefined) {
    const { stdout } = await runTool(
      tools.aptCache,
      ['search', '--names-only', '^linux-image-[0-9].*-cloud-amd64$'],
      { what: 'apt-cache search' },
    );
    const names = stdout
      .split('\n')
      .map((line) => line.split(' ')[0] ?? '')
      .filter((name) => CLOUD_KERNEL_RE.test(name))
      .sort(compareVersionish);
    pkg = names.at(-1);
  }
  const version = pkg === undefined ? undefined : await candidateVersion(tools, pkg);
  const release = pkg === undefined ? undefined : CLOUD_KERNEL_RE.exec(pkg)?.[1];
  if (pkg === undefined || version === undefined || release === undefined) {
    throw new UvmLayersError(
      'BACKEND_UNAVAILABLE',
      `apt knows no installable Debian cloud kernel (${CLOUD_KERNEL_META}): run \`apt-get update\` on a Debian host whose sources include the main component`,
    );
  }
  return { pkg, release, version };
}

/** Orders strings by their runs of digits numerically ("6.1.0-9" < "6.1.0-57"). */
export function compareVersionish(a: string, b: string): number {
  const pa = a.split(/(\d+)/);
  const pb = b.split(/(\d+)/);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? '';
    const y = pb[i] ?? '';
    if (x === y) continue;
    if (/^\d+$/.test(x) && /^\d+$/.test(y)) return Number(x) - Number(y);
    return x < y ? -1 : 1;
  }
  return 0;
}

/**
 * The .deb of `pkg` at `version` in `cacheDir`, downloading it when the cache has no such file.
 * apt-get download needs no root and installs nothing.
 */
export async function fetchDeb(
  tools: ImageTools,
  pkg: string,
  version: string,
  cacheDir: string,
  log: (line: string) => void,
): Promise<string> {
  await fs.mkdir(cacheDir, { recursive: true });
  const cached = await findCachedDeb(tools, pkg, version, cacheDir);
  if (cached !== undefined) return cached;
  log(`downloading ${pkg} ${version}`);
  await runTool(tools.aptGet, ['download', '-q', `${pkg}=${version}`], {
    what: `apt-get download ${pkg}=${version}`,
    cwd: cacheDir,
    failureCode: 'BACKEND_UNAVAILABLE',
  });
  const fetched = await findCachedDeb(tools, pkg, version, cacheDir);
  if (fetched === undefined)
    throw new UvmLayersError(
      'BACKEND_UNAVAILABLE',
      `apt-get download ${pkg}=${version} produced no .deb in ${cacheDir}`,
    );
  return fetched;
}

async function findCachedDeb(
  tools: ImageTools,
  pkg: string,
  version: string,
  cacheDir: string,
): Promise<string | undefined> {
  const files = (await fs.readdir(cacheDir)).filter(
    (f) => f.startsWith(`${pkg}_`) && f.endsWith('.deb'),
  );
  for (const file of files) {
    const full = path.join(cacheDir, file);
    const fields = await runTool(tools.dpkgDeb, ['-f', full, 'Package', 'Version'], {
      what: `reading ${file}`,
    }).catch(() => undefined);
    if (
      fields?.stdout.includes(`Package: ${pkg}\n`) &&
      fields.stdout.includes(`Version: ${version}\n`)
    )
      return full;
    // An older version or a broken download: replaced by the fresh one.
    await fs.rm(full, { force: true });
  }
  return undefined;
}

/** Unpacks a .deb's files into `dest` (no maintainer scripts run). */
export async function extractDeb(tools: ImageTools, deb: string, dest: string): Promise<void> {
  await fs.mkdir(dest, { recursive: true });
  await runTool(tools.dpkgDeb, ['-x', deb, dest], { what: `dpkg-deb -x ${path.basename(deb)}` });
}
