/** Lays out the utility VM's initramfs: busybox, the agent and its init, mke2fs, kernel modules. */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';

import { CpioWriter } from './cpio.js';

export interface InitramfsInputs {
  busybox: string;
  agent: string;
  init: string;
  mke2fs: string;
  /** Absolute host paths of mke2fs's libraries and ELF interpreter; stored at the same paths. */
  mke2fsLibs: readonly string[];
  /** mke2fs.conf from the host, when it has one (mke2fs falls back to built-in defaults). */
  mke2fsConf?: string;
  kernelRelease: string;
  /** Root of the unpacked kernel package. */
  kernelRoot: string;
  /** Module paths relative to lib/modules/<release>/, in load order. */
  modules: readonly string[];
}

/** Builds the gzip'd newc archive. Entry order and metadata are fixed, so equal inputs give equal bytes. */
export async function buildInitramfs(inputs: InitramfsInputs): Promise<Buffer> {
  const cpio = new CpioWriter();
  for (const dir of ['proc', 'sys', 'run', 'tmp', 'mnt', 'etc']) cpio.dir(dir);
  // The kernel opens /dev/console for init before devtmpfs is mounted; without this node the
  // early output of init is lost.
  cpio.charDevice('dev/console', 5, 1, 0o600);
  cpio.file('init', await fs.readFile(inputs.init), 0o755);
  cpio.file('bin/busybox', await fs.readFile(inputs.busybox), 0o755);
  cpio.symlink('bin/sh', 'busybox');
  cpio.file('sbin/uvm-agent', await fs.readFile(inputs.agent), 0o755);
  cpio.file('sbin/mke2fs', await fs.readFile(inputs.mke2fs), 0o755);
  for (const lib of inputs.mke2fsLibs) {
    // readFile follows the host's symlinks (ld-linux, merged /usr): the guest gets real files.
    cpio.file(lib, await fs.readFile(lib), 0o755);
  }
  if (inputs.mke2fsConf !== undefined)
    cpio.file('etc/mke2fs.conf', await fs.readFile(inputs.mke2fsConf));
  // mke2fs checks whether the device is mounted through /etc/mtab.
  cpio.symlink('etc/mtab', '/proc/self/mounts');
  const modRoot = path.join(inputs.kernelRoot, 'lib', 'modules', inputs.kernelRelease);
  for (const mod of inputs.modules) {
    cpio.file(
      `lib/modules/${inputs.kernelRelease}/${mod}`,
      await fs.readFile(path.join(modRoot, mod)),
    );
  }
  cpio.file('etc/uvm-modules', `${inputs.modules.join('\n')}\n`);
  return promisify(gzip)(cpio.toBuffer(), { level: 9 });
}
