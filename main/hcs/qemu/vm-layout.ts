/**
 * The fixed shape of a utility VM's QEMU machine, decided at create time because q35 cannot
 * grow it later: how many PCIe root ports wait for virtio-pmem hot-plug, and the guest
 * physical window where vPMEM regions go (`maxmem` above the RAM). Also the 2 MiB-aligned
 * first-fit placement of a region inside that window.
 */

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

export const RAM_BYTES = 512 * MiB;
/** The Linux guest maps a pmem region only when its start and end are 2 MiB aligned. */
export const PMEM_ALIGN = 2 * MiB;
/** A vPMEM device is never unplugged (QEMU cannot), so its root port stays taken: spares let
 * a device number be used again after its first device was parked. */
export const SPARE_ROOT_PORTS = 8;
/** q35 has 32 slots on pcie.0; a few hold the host bridge, LPC, virtio-serial and virtio-scsi. */
export const MAX_ROOT_PORTS = 24;
/** Address space only (nothing is allocated for it), kept well inside TCG's 40 physical bits. */
export const MAX_PMEM_WINDOW = 256 * GiB;
/**
 * Where q35 starts its hot-pluggable memory when all RAM fits below 4 GiB (QEMU 7.2,
 * `info mtree`: `0000000100000000-... device-memory`). Checked against QEMU after boot.
 */
export const DEVICE_MEMORY_BASE = 4 * GiB;
/** DIMM slots are not used by virtio-pmem, but QEMU needs some for `maxmem` to be accepted. */
export const MEMORY_SLOTS = 8;

export interface PmemWindow {
  base: number;
  size: number;
}

export interface VmLayout {
  ramBytes: number;
  /** 0 when the UVM has no vPMEM devices (then no memory hot-plug at all). */
  maxmemBytes: number;
  memorySlots: number;
  rootPorts: string[];
  pmemWindow: PmemWindow;
}

export function alignUp(value: number, alignment: number): number {
  return Math.ceil(value / alignment) * alignment;
}

export function planLayout(config: { vpmemCount: number; vpmemMaxSizeBytes: number }): VmLayout {
  if (config.vpmemCount === 0) {
    return {
      ramBytes: RAM_BYTES,
      maxmemBytes: 0,
      memorySlots: 0,
      rootPorts: [],
      pmemWindow: { base: DEVICE_MEMORY_BASE, size: 0 },
    };
  }
  const ports = Math.min(MAX_ROOT_PORTS, config.vpmemCount + SPARE_ROOT_PORTS);
  const size = Math.min(MAX_PMEM_WINDOW, ports * alignUp(config.vpmemMaxSizeBytes, PMEM_ALIGN));
  return {
    ramBytes: RAM_BYTES,
    maxmemBytes: RAM_BYTES + size,
    memorySlots: MEMORY_SLOTS,
    rootPorts: Array.from({ length: ports }, (_, i) => `rp${i + 1}`),
    pmemWindow: { base: DEVICE_MEMORY_BASE, size },
  };
}

/**
 * The lowest 2 MiB-aligned address in `window` where `sizeBytes` fits between the regions in
 * `used` (active and parked devices alike: a parked region stays mapped), or undefined.
 */
export function placeRegion(
  window: PmemWindow,
  used: readonly { memaddr: number; sizeBytes: number }[],
  sizeBytes: number,
): number | undefined {
  const taken = [...used].sort((a, b) => a.memaddr - b.memaddr);
  let candidate = alignUp(window.base, PMEM_ALIGN);
  for (const region of taken) {
    if (candidate + sizeBytes <= region.memaddr) break;
    candidate = Math.max(candidate, alignUp(region.memaddr + region.sizeBytes, PMEM_ALIGN));
  }
  return candidate + sizeBytes <= window.base + window.size ? candidate : undefined;
}
