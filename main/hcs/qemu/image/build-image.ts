/**
 * `uvm-layers image build`: assembles the utility VM's boot files under <stateDir>/image/ from
 * Debian packages (the cloud kernel and its modules, busybox-static; downloaded and unpacked,
 * never installed), the host's mke2fs, and our guest agent.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';

import { UvmLayersError, withContext } from '../../../engine/errors.js';
import { extractDeb, candidateVersion, fetchDeb, newestCloudKernel } from './apt.js';
import { buildGuestAgent, findGuestAgentDir, sha256File } from './guest-agent-build.js';
import { requireImageTools } from './host-requirements.js';
import { buildInitramfs } from './initramfs.js';
import { resolveModuleOrder, UVM_MODULES } from './kernel-modules.js';
import {
  IMAGE_FORMAT,
  readManifest,
  sameInputs,
  writeManifest,
  type ImageInputs,
} from './manifest.js';
import { debCacheDir, imageDir, imagePaths, manifestPath } from './paths.js';
import { sharedLibraries } from './shared-libs.js';

const BUSYBOX_PKG = 'busybox-static';
const MKE2FS_CONF = '/etc/mke2fs.conf';

export interface BuildImageOptions {
  stateDir: string;
  log?: (line: string) => void;
  /** native/guest-agent; found from the source tree when omitted. */
  agentSourceDir?: string;
}

/**
 * Builds (or finds up to date) the kernel and initramfs. Skips all work when the manifest shows
 * the same kernel package, busybox, agent, init and mke2fs; reuses downloaded .debs otherwise.
 * Fails with BACKEND_UNAVAILABLE naming what to install on a host without apt/dpkg/kmod/e2fsprogs.
 */
export async function buildUtilityVmImage(
  options: BuildImageOptions,
): Promise<{ kernel: string; initrd: string; version: string }> {
  const log = options.log ?? (() => undefined);
  const tools = requireImageTools();
  const outDir = imageDir(options.stateDir);
  const paths = imagePaths(options.stateDir);
  await fs.mkdir(outDir, { recursive: true });

  const kernel = await newestCloudKernel(tools);
  const busyboxVersion = await candidateVersion(tools, BUSYBOX_PKG);
  if (busyboxVersion === undefined) {
    throw new UvmLayersError(
      'BACKEND_UNAVAILABLE',
      `apt knows no ${BUSYBOX_PKG} package: run \`apt-get update\` on a Debian host`,
    );
  }
  const agent = await buildGuestAgent(findGuestAgentDir(options.agentSourceDir), log);
  const inputs: ImageInputs = {
    format: IMAGE_FORMAT,
    kernelPackage: kernel.pkg,
    kernelPackageVersion: kernel.version,
    kernelRelease: kernel.release,
    busyboxVersion,
    agentSha256: sha256File(agent.binary),
    initSha256: sha256File(agent.init),
    mke2fsSha256: sha256File(tools.mke2fs),
    requestedModules: UVM_MODULES.join(' '),
  };
  const manifestFile = manifestPath(options.stateDir);
  const previous = await readManifest(manifestFile);
  if (sameInputs(previous, inputs) && (await allExist([paths.kernel, paths.initrd]))) {
    log(`image up to date: kernel ${kernel.release}, agent ${inputs.agentSha256.slice(0, 12)}`);
    return { ...paths, version: kernel.release };
  }

  log(
    `building the utility VM image: kernel ${kernel.release} (${kernel.version}), busybox ${busyboxVersion}`,
  );
  const cache = debCacheDir(options.stateDir);
  const kernelDeb = await fetchDeb(tools, kernel.pkg, kernel.version, cache, log);
  const busyboxDeb = await fetchDeb(tools, BUSYBOX_PKG, busyboxVersion, cache, log);
  await pruneCache(cache, [kernelDeb, busyboxDeb]);

  // Unpacked trees are large (about 100 MB for the kernel) and only needed during the build.
  const work = await fs.mkdtemp(path.join(outDir, '.work-'));
  try {
    const kernelRoot = path.join(work, 'kernel');
    const busyboxRoot = path.join(work, 'busybox');
    await extractDeb(tools, kernelDeb, kernelRoot);
    await extractDeb(tools, busyboxDeb, busyboxRoot);
    const vmlinuz = path.join(kernelRoot, 'boot', `vmlinuz-${kernel.release}`);
    const busybox = path.join(busyboxRoot, 'bin', 'busybox');
    await mustExist(vmlinuz, kernel.pkg);
    await mustExist(busybox, BUSYBOX_PKG);

    const modules = await resolveModuleOrder(tools, kernelRoot, kernel.release);
    log(
      `${modules.length} kernel modules: ${modules.map((m) => path.basename(m, '.ko')).join(' ')}`,
    );
    const initrd = await buildInitramfs({
      busybox,
      agent: agent.binary,
      init: agent.init,
      mke2fs: tools.mke2fs,
      mke2fsLibs: await sharedLibraries(tools.ldd, tools.mke2fs),
      ...((await allExist([MKE2FS_CONF])) ? { mke2fsConf: MKE2FS_CONF } : {}),
      kernelRelease: kernel.release,
      kernelRoot,
      modules,
    });

    // Old manifest out first: a crash from here on leaves "not built", never a mismatched pair.
    await fs.rm(manifestFile, { force: true });
    await replaceFile(paths.kernel, await fs.readFile(vmlinuz));
    await replaceFile(paths.initrd, initrd);
    await writeManifest(manifestFile, {
      ...inputs,
      modules,
      initrdBytes: initrd.length,
      builtAt: new Date().toISOString(),
    });
    log(
      `wrote ${paths.kernel} and ${paths.initrd} (${(initrd.length / 1024 / 1024).toFixed(1)} MiB)`,
    );
    return { ...paths, version: kernel.release };
  } catch (error) {
    throw withContext('building the utility VM image', error);
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
}

async function replaceFile(file: string, data: Buffer): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(tmp, data);
  await fs.rename(tmp, file);
}

async function allExist(files: readonly string[]): Promise<boolean> {
  for (const f of files) {
    try {
      await fs.access(f);
    } catch {
      return false;
    }
  }
  return true;
}

async function mustExist(file: string, pkg: string): Promise<void> {
  if (!(await allExist([file])))
    throw new UvmLayersError('INTERNAL', `package ${pkg} has no ${file}`);
}

/** Keeps only the .debs of the current build, so kernel updates do not pile up. */
async function pruneCache(cache: string, keep: readonly string[]): Promise<void> {
  for (const file of await fs.readdir(cache)) {
    const full = path.join(cache, file);
    if (file.endsWith('.deb') && !keep.includes(full)) await fs.rm(full, { force: true });
  }
}
