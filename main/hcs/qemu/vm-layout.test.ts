import { describe, expect, it } from 'vitest';
import { parseDeviceMemory, fitWindow } from './device-memory.js';
import { qemuArgs } from './qemu-command.js';
import { runFiles } from './run-files.js';
import {
  DEVICE_MEMORY_BASE,
  MAX_ROOT_PORTS,
  PMEM_ALIGN,
  placeRegion,
  planLayout,
  RAM_BYTES,
} from './vm-layout.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

describe('planLayout', () => {
  it('sizes root ports and the vPMEM window from the vPMEM budget, with spares for parked devices', () => {
    const layout = planLayout({ vpmemCount: 1, vpmemMaxSizeBytes: 64 * MiB });
    expect(layout.rootPorts).toEqual([
      'rp1',
      'rp2',
      'rp3',
      'rp4',
      'rp5',
      'rp6',
      'rp7',
      'rp8',
      'rp9',
    ]);
    expect(layout.pmemWindow).toEqual({ base: DEVICE_MEMORY_BASE, size: 9 * 64 * MiB });
    expect(layout.maxmemBytes).toBe(RAM_BYTES + 9 * 64 * MiB);
  });

  it('caps the ports and the window, and has neither without vPMEM', () => {
    const big = planLayout({ vpmemCount: 64, vpmemMaxSizeBytes: 4 * GiB });
    expect(big.rootPorts).toHaveLength(MAX_ROOT_PORTS);
    expect(big.pmemWindow.size).toBe(MAX_ROOT_PORTS * 4 * GiB);
    expect(planLayout({ vpmemCount: 8, vpmemMaxSizeBytes: 64 * GiB }).pmemWindow.size).toBe(
      256 * GiB,
    );
    const none = planLayout({ vpmemCount: 0, vpmemMaxSizeBytes: 4 * GiB });
    expect(none).toMatchObject({ rootPorts: [], maxmemBytes: 0 });
  });
});

describe('placeRegion', () => {
  const window = { base: 4 * GiB, size: 1 * GiB };

  it('places regions first-fit on 2 MiB boundaries, skipping taken (also parked) ones', () => {
    expect(placeRegion(window, [], 64 * MiB)).toBe(4 * GiB);
    const used = [
      { memaddr: 4 * GiB, sizeBytes: 64 * MiB },
      { memaddr: 4 * GiB + 128 * MiB, sizeBytes: 2 * MiB },
    ];
    expect(placeRegion(window, used, 64 * MiB)).toBe(4 * GiB + 64 * MiB);
    expect(placeRegion(window, used, 66 * MiB)).toBe(4 * GiB + 130 * MiB);
    for (const size of [2 * MiB, 10 * MiB, 100 * MiB]) {
      expect((placeRegion(window, used, size) ?? 1) % PMEM_ALIGN).toBe(0);
    }
  });

  it('rounds the end of an odd-sized neighbour up, and reports no room', () => {
    const odd = [{ memaddr: 4 * GiB, sizeBytes: 10 * MiB + 4096 }];
    expect(placeRegion(window, odd, 2 * MiB)).toBe(4 * GiB + 12 * MiB);
    expect(placeRegion(window, [], 2 * GiB)).toBeUndefined();
    expect(
      placeRegion(window, [{ memaddr: 4 * GiB, sizeBytes: 1 * GiB }], 2 * MiB),
    ).toBeUndefined();
  });
});

describe('qemuArgs', () => {
  it('builds the notes command line: q35, sockets, scsi0, root ports, memory for vPMEM', () => {
    const files = runFiles('/s', 'u1');
    const args = qemuArgs({
      id: 'u1',
      files,
      kernel: '/k',
      initrd: '/i',
      accel: 'tcg',
      layout: planLayout({ vpmemCount: 1, vpmemMaxSizeBytes: 64 * MiB }),
    });
    const joined = args.join(' ');
    expect(joined).toContain('-machine q35 -accel tcg');
    expect(joined).toContain('-m 512M,slots=8,maxmem=1088M');
    expect(joined).toContain('-qmp unix:/s/qemu/u1/qmp.sock,server=on,wait=off');
    expect(joined).toContain(
      '-chardev socket,id=agent,path=/s/qemu/u1/agent.sock,server=on,wait=off',
    );
    expect(joined).toContain('virtserialport,bus=vser0.0,chardev=agent,name=agent');
    expect(joined).toContain('-device virtio-scsi-pci,id=scsi0');
    expect(joined).toContain('pcie-root-port,id=rp9,chassis=9,slot=9,io-reserve=0');
    expect(joined).toContain('-serial file:/s/qemu/u1/console.log -kernel /k -initrd /i');
  });

  it('puts sockets in a short folder when the run dir is too long for a socket address', () => {
    const files = runFiles(`/${'x'.repeat(80)}`, 'a-long-uvm-id');
    expect(files.qmp.length).toBeLessThan(108);
    expect(files.socketDir).not.toBe(files.dir);
    expect(runFiles(`/${'x'.repeat(80)}`, 'a-long-uvm-id').qmp).toBe(files.qmp);
  });
});

describe('device memory', () => {
  it('reads the device-memory region from info mtree and fits the window into it', () => {
    const mtree =
      'memory-region: system\r\n  0000000000000000-ffffffffffffffff (prio 0, i/o): system\r\n' +
      '    0000000100000000-00000012ffffffff (prio 0, i/o): device-memory\r\n';
    const actual = parseDeviceMemory(mtree);
    expect(actual).toEqual({ base: 4 * GiB, size: 72 * GiB });
    expect(fitWindow({ base: 4 * GiB, size: 100 * GiB }, actual)).toEqual({
      base: 4 * GiB,
      size: 72 * GiB,
    });
    expect(parseDeviceMemory('nothing')).toBeUndefined();
  });
});
