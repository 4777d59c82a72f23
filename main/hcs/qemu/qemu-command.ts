/**
 * The QEMU command line of a utility VM (QEMU-NOTES §2): q35, no default devices, the serial
 * console to a file, the kernel and initramfs booted directly, QMP and the agent's
 * virtio-serial port on Unix sockets, one virtio-scsi controller (`scsi0`: HCS controller c is
 * SCSI target c), and empty PCIe root ports for virtio-pmem hot-plug.
 */
import * as os from 'node:os';
import type { RunFiles } from './run-files.js';
import type { Accel } from './qemu-state.js';
import type { VmLayout } from './vm-layout.js';

export const QEMU_BINARY = 'qemu-system-x86_64';
export const SCSI_BUS = 'scsi0.0';
/** panic=-1 with -no-reboot: a guest that panics makes QEMU exit, so a dead VM is seen as gone. */
export const KERNEL_CMDLINE = 'console=ttyS0 loglevel=4 panic=-1';

export interface LaunchSpec {
  id: string;
  files: RunFiles;
  kernel: string;
  initrd: string;
  accel: Accel;
  layout: VmLayout;
}

const MiB = 1024 * 1024;

export function qemuArgs(spec: LaunchSpec): string[] {
  const { files, layout } = spec;
  const memory =
    layout.maxmemBytes > 0
      ? `${layout.ramBytes / MiB}M,slots=${layout.memorySlots},maxmem=${layout.maxmemBytes / MiB}M`
      : `${layout.ramBytes / MiB}M`;
  return [
    '-name',
    `uvm-layers-${spec.id}`,
    '-machine',
    'q35',
    '-accel',
    spec.accel,
    '-smp',
    String(Math.max(1, Math.min(2, os.availableParallelism()))),
    '-m',
    memory,
    '-nodefaults',
    '-display',
    'none',
    '-monitor',
    'none',
    '-no-reboot',
    '-serial',
    `file:${files.console}`,
    '-kernel',
    spec.kernel,
    '-initrd',
    spec.initrd,
    '-append',
    KERNEL_CMDLINE,
    '-qmp',
    `unix:${files.qmp},server=on,wait=off`,
    '-device',
    'virtio-serial-pci,id=vser0',
    '-chardev',
    `socket,id=agent,path=${files.agent},server=on,wait=off`,
    '-device',
    'virtserialport,bus=vser0.0,chardev=agent,name=agent',
    '-device',
    'virtio-scsi-pci,id=scsi0',
    // io-reserve=0: virtio-pmem needs no I/O ports, and 4 KiB I/O windows per port would run
    // out of the 64 KiB I/O space after 16 ports.
    ...layout.rootPorts.flatMap((port, i) => [
      '-device',
      `pcie-root-port,id=${port},chassis=${i + 1},slot=${i + 1},io-reserve=0`,
    ]),
  ];
}
