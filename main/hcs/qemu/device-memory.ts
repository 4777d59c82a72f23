/**
 * Where QEMU really put the hot-pluggable memory region, read back after boot with
 * `info mtree`: vPMEM addresses are chosen by us and must fall inside it.
 */
import type { QmpClient } from './qmp-client.js';
import type { PmemWindow } from './vm-layout.js';

const DEVICE_MEMORY =
  /^\s*([0-9a-f]{16})-([0-9a-f]{16}) \(prio -?\d+, [a-z/]+\): device-memory\s*$/m;

/** The device-memory region, or undefined when QEMU has none or the output is not understood. */
export async function readDeviceMemory(qmp: QmpClient): Promise<PmemWindow | undefined> {
  const result = await qmp.execute<string>('human-monitor-command', {
    'command-line': 'info mtree',
  });
  if (!result.ok || typeof result.value !== 'string') return undefined;
  return parseDeviceMemory(result.value);
}

export function parseDeviceMemory(mtree: string): PmemWindow | undefined {
  const match = DEVICE_MEMORY.exec(mtree);
  if (!match?.[1] || !match[2]) return undefined;
  const base = Number.parseInt(match[1], 16);
  const end = Number.parseInt(match[2], 16);
  return end > base ? { base, size: end - base + 1 } : undefined;
}

/** Our planned window, moved and clipped to lie inside QEMU's region. */
export function fitWindow(planned: PmemWindow, actual: PmemWindow | undefined): PmemWindow {
  if (!actual) return planned;
  return { base: actual.base, size: Math.min(planned.size, actual.size) };
}
