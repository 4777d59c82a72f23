import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KERNEL_DIRECT_MIN_BUILD, lcowKernelCommandLine, resolveLcowBoot } from './uvm-config.js';

let boot: string;
beforeEach(async () => {
  boot = await mkdtemp(path.join(os.tmpdir(), 'uvml-boot-'));
});
afterEach(async () => {
  await rm(boot, { recursive: true, force: true });
});

describe('LCOW boot files', () => {
  it('prefers the uncompressed vmlinux for kernel-direct boot, like hcsshim', async () => {
    await writeFile(path.join(boot, 'kernel'), 'k');
    await writeFile(path.join(boot, 'vmlinux'), 'v');
    await writeFile(path.join(boot, 'initrd.img'), 'i');
    expect(resolveLcowBoot(boot, KERNEL_DIRECT_MIN_BUILD).kernelFile).toBe('vmlinux');
    expect(resolveLcowBoot(boot, KERNEL_DIRECT_MIN_BUILD - 1)).toMatchObject({ kernelFile: 'kernel', kernelDirect: false });
  });

  it('takes kernel when there is no vmlinux', async () => {
    await writeFile(path.join(boot, 'kernel'), 'k');
    await writeFile(path.join(boot, 'initrd.img'), 'i');
    expect(resolveLcowBoot(boot, 19041)).toMatchObject({ kernelFile: 'kernel', kernelDirect: true, initrdPath: path.join(boot, 'initrd.img') });
  });

  it('says which file is missing', async () => {
    expect(() => resolveLcowBoot(boot, 19041)).toThrow(`LCOW boot files folder ${boot} has no kernel (looked for vmlinux, kernel)`);
    await writeFile(path.join(boot, 'vmlinux'), 'v');
    expect(() => resolveLcowBoot(boot, 17763)).toThrow('(looked for kernel)');
  });

  it('builds hcsshim’s non-debug command line', () => {
    const direct = { bootFilesPath: boot, kernelFile: 'vmlinux', initrdPath: 'x', kernelDirect: true, exec: '/bin/gcs' };
    expect(lcowKernelCommandLine(direct, 3)).toBe('8250_core.nr_uarts=0 panic=-1 quiet nr_cpus=3 pci=off brd.rd_nr=0 pmtmr=0 -- /bin/gcs');
    expect(lcowKernelCommandLine({ ...direct, kernelDirect: false }, 1)).toMatch(/^initrd=\/initrd.img 8250_core/);
  });
});
