import { describe, expect, it } from 'vitest';

import { isErrorCode } from '../../../engine/errors.js';
import { compareVersionish } from './apt.js';
import { requireImageTools } from './host-requirements.js';
import { parseShowDepends, UVM_MODULES } from './kernel-modules.js';
import { IMAGE_FORMAT, sameInputs, type ImageInputs, type ImageManifest } from './manifest.js';
import { parseLdd } from './shared-libs.js';

describe('kernel module order', () => {
  it('takes the insmod lines of modprobe --show-depends and skips built-ins', () => {
    const out = [
      'insmod /k/lib/modules/6.1.0-57-cloud-amd64/kernel/drivers/virtio/virtio_ring.ko ',
      'insmod /k/lib/modules/6.1.0-57-cloud-amd64/kernel/drivers/virtio/virtio.ko ',
      'builtin ext4',
      'insmod /k/lib/modules/6.1.0-57-cloud-amd64/kernel/drivers/scsi/sd_mod.ko option=1',
      '',
    ].join('\n');
    expect(parseShowDepends(out)).toEqual([
      '/k/lib/modules/6.1.0-57-cloud-amd64/kernel/drivers/virtio/virtio_ring.ko',
      '/k/lib/modules/6.1.0-57-cloud-amd64/kernel/drivers/virtio/virtio.ko',
      '/k/lib/modules/6.1.0-57-cloud-amd64/kernel/drivers/scsi/sd_mod.ko',
    ]);
  });

  it('asks for every driver QEMU-NOTES lists for the cloud kernel', () => {
    expect(UVM_MODULES).toEqual(
      expect.arrayContaining([
        'virtio_pci',
        'virtio_scsi',
        'sd_mod',
        'overlay',
        'virtio_pmem',
        'nd_pmem',
        'virtiofs',
        'virtio_console',
      ]),
    );
  });
});

describe('shared libraries from ldd', () => {
  it('keeps the library paths and the interpreter, not the vDSO', () => {
    const out = [
      '\tlinux-vdso.so.1 (0x00007ffd)',
      '\tlibext2fs.so.2 => /lib/x86_64-linux-gnu/libext2fs.so.2 (0x00007f1)',
      '\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f2)',
      '\t/lib64/ld-linux-x86-64.so.2 (0x00007f3)',
    ].join('\n');
    expect(parseLdd(out)).toEqual([
      '/lib/x86_64-linux-gnu/libext2fs.so.2',
      '/lib/x86_64-linux-gnu/libc.so.6',
      '/lib64/ld-linux-x86-64.so.2',
    ]);
  });
});

describe('choosing the newest kernel', () => {
  it('orders ABI numbers numerically, not as text', () => {
    const names = [
      'linux-image-6.1.0-9-cloud-amd64',
      'linux-image-6.1.0-57-cloud-amd64',
      'linux-image-6.1.0-10-cloud-amd64',
    ];
    expect([...names].sort(compareVersionish).at(-1)).toBe('linux-image-6.1.0-57-cloud-amd64');
  });
});

describe('host requirements', () => {
  it('names every missing program and its package in one BACKEND_UNAVAILABLE error', () => {
    const missing = new Set(['apt-get', 'apt-cache', 'dpkg-deb', 'depmod', 'modprobe']);
    const error = (() => {
      try {
        requireImageTools((name) => (missing.has(name) ? undefined : `/usr/bin/${name}`));
        return undefined;
      } catch (e) {
        return e as Error;
      }
    })();
    expect(isErrorCode(error, 'BACKEND_UNAVAILABLE')).toBe(true);
    expect(error?.message).toMatch(/apt-get \(package apt\)/);
    expect(error?.message).toMatch(/dpkg-deb \(package dpkg\)/);
    expect(error?.message).toMatch(/Debian or Ubuntu host/);
    expect(error?.message).toMatch(/apt-get install -y --no-install-recommends kmod/);
  });

  it('resolves every tool when all are present', () => {
    const tools = requireImageTools((name) => `/opt/${name}`);
    expect(tools.dpkgDeb).toBe('/opt/dpkg-deb');
    expect(tools.mke2fs).toBe('/opt/mke2fs');
  });
});

describe('image cache key', () => {
  const inputs: ImageInputs = {
    format: IMAGE_FORMAT,
    kernelPackage: 'linux-image-6.1.0-57-cloud-amd64',
    kernelPackageVersion: '6.1.192-3',
    kernelRelease: '6.1.0-57-cloud-amd64',
    busyboxVersion: '1:1.35.0-4',
    agentSha256: 'a'.repeat(64),
    initSha256: 'b'.repeat(64),
    mke2fsSha256: 'c'.repeat(64),
    requestedModules: UVM_MODULES.join(' '),
  };
  const manifest: ImageManifest = { ...inputs, modules: [], initrdBytes: 1, builtAt: 'now' };

  it('matches the same inputs and misses on any change (new agent, new kernel)', () => {
    expect(sameInputs(manifest, inputs)).toBe(true);
    expect(sameInputs(manifest, { ...inputs, agentSha256: 'd'.repeat(64) })).toBe(false);
    expect(sameInputs(manifest, { ...inputs, kernelRelease: '6.1.0-58-cloud-amd64' })).toBe(false);
    expect(sameInputs(undefined, inputs)).toBe(false);
  });
});
