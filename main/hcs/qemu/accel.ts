/**
 * KVM or TCG. `/dev/kvm` existing proves nothing (QEMU-NOTES §1: on these machines KVM opens but
 * cannot run a guest; the VM hangs silently), so KVM is chosen only after a real test boot of
 * the utility VM image succeeds. The answer is cached per host boot (`boot_id`): the hardware
 * does not change while the host runs, and a probe costs a boot.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readFileIfExists, writeFileAtomic } from '../../store/atomic-file.js';
import type { Accel } from './qemu-state.js';

export type AccelChoice = 'auto' | Accel;

export interface AccelDecision {
  accel: Accel;
  /** Why: the probe's outcome, or that it was forced or skipped. */
  detail: string;
}

interface CacheFile extends AccelDecision {
  bootId: string;
  probedAt: string;
}

export const ACCEL_ENV = 'UVM_LAYERS_QEMU_ACCEL';
const KVM_DEVICE = '/dev/kvm';

/** The choice from the environment (`UVM_LAYERS_QEMU_ACCEL=tcg|kvm|auto`), if set and valid. */
export function accelFromEnv(env: NodeJS.ProcessEnv = process.env): AccelChoice | undefined {
  const value = env[ACCEL_ENV];
  return value === 'auto' || value === 'tcg' || value === 'kvm' ? value : undefined;
}

/**
 * Decides the accelerator. `probe` boots the image under KVM and resolves with undefined on
 * success or the reason it failed; it runs at most once per host boot and state dir.
 */
export async function chooseAccel(
  qemuDir: string,
  choice: AccelChoice,
  probe: () => Promise<string | undefined>,
): Promise<AccelDecision> {
  if (choice !== 'auto') return { accel: choice, detail: `forced to ${choice}` };
  try {
    fs.accessSync(KVM_DEVICE, fs.constants.R_OK | fs.constants.W_OK);
  } catch {
    return { accel: 'tcg', detail: `${KVM_DEVICE} is missing or not accessible` };
  }
  const cacheFile = path.join(qemuDir, 'accel.json');
  const bootId = hostBootId();
  const cached = readCache(cacheFile);
  if (cached && cached.bootId === bootId) return { accel: cached.accel, detail: cached.detail };
  const failure = await probe();
  const decision: AccelDecision =
    failure === undefined
      ? { accel: 'kvm', detail: 'a KVM test boot of the utility VM succeeded' }
      : { accel: 'tcg', detail: `a KVM test boot failed (${failure}); using TCG` };
  const entry: CacheFile = { ...decision, bootId, probedAt: new Date().toISOString() };
  writeFileAtomic(cacheFile, `${JSON.stringify(entry, null, 2)}\n`);
  return decision;
}

function hostBootId(): string {
  try {
    return fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    // No boot id (not Linux): the boot time to the minute is stable until the next reboot.
    return `boot-${Math.round((Date.now() / 1000 - os.uptime()) / 60)}`;
  }
}

function readCache(file: string): CacheFile | undefined {
  try {
    const text = readFileIfExists(file);
    if (text === undefined) return undefined;
    const parsed = JSON.parse(text) as Partial<CacheFile>;
    if (
      typeof parsed.bootId === 'string' &&
      (parsed.accel === 'kvm' || parsed.accel === 'tcg') &&
      typeof parsed.detail === 'string'
    ) {
      return parsed as CacheFile;
    }
  } catch {
    // A damaged cache only costs one more probe.
  }
  return undefined;
}
