/**
 * The per-UVM state every process shares (`state.json`, replaced atomically): the HCS model of
 * the UVM (the simulator's device tree and guest view, which decides what a document may do),
 * the machine layout fixed at create, the QEMU process, and the QEMU objects behind each HCS
 * device: block nodes and scsi-hd ids per SCSI slot; memory backend, root port and memaddr per
 * vPMEM device, including the parked ones QEMU cannot unplug.
 */
import { UvmLayersError } from '../../engine/errors.js';
import { readFileIfExists, writeFileAtomic } from '../../store/atomic-file.js';
import type { SimSystemState } from '../sim/sim-state.js';
import type { RunFiles } from './run-files.js';
import type { VmLayout } from './vm-layout.js';

export const QEMU_STATE_VERSION = 1;

export type Accel = 'tcg' | 'kvm';

/** How QEMU opens a disk: raw over a fixed VHD's data, vpc for a dynamic VHD, vhdx. */
export type BlockDriver = 'raw' | 'vpc' | 'vhdx';

export interface ScsiDisk {
  controller: number;
  lun: number;
  hostPath: string;
  readOnly: boolean;
  driver: BlockDriver;
  fileNode: string;
  formatNode: string;
  deviceId: string;
  /** `/dev/sdX` as the agent found it when mounting. */
  guestDevice?: string;
}

export interface PmemDevice {
  /** The HCS device number the engine used. */
  device: number;
  hostPath: string;
  /** The VHD's data size, 2 MiB aligned: what the guest maps. */
  sizeBytes: number;
  memaddr: number;
  port: string;
  objectId: string;
  deviceId: string;
  guestDevice?: string;
  /** Set once QEMU cannot give the device back: it stays plugged, unmounted, until the VM exits. */
  parked?: { at: string; reason: string };
}

export interface QemuProcess {
  pid: number;
  accel: Accel;
  startedAt: string;
  bootMs: number;
}

/**
 * An object an Add document is about to create, written to state.json before the QMP command or
 * guest mount goes out. Cleared when the document ends; found non-empty only when the process
 * died mid-document, and then undone by the next call (see pending-recovery.ts).
 */
export type PendingStep =
  | { kind: 'block-node'; name: string }
  | { kind: 'scsi-device'; id: string; slot: string; controller: number; lun: number }
  | { kind: 'memory-backend'; id: string }
  | { kind: 'pmem-device'; record: PmemDevice }
  | { kind: 'guest-mount'; path: string };

export interface QemuUvmState {
  version: number;
  id: string;
  /** What HCS and the guest hold, by the simulator's rules: validates every document. */
  model: SimSystemState;
  layout: VmLayout;
  process?: QemuProcess;
  scsi: Record<string, ScsiDisk>;
  /** Active vPMEM devices by HCS device number. */
  pmem: Record<string, PmemDevice>;
  parked: PmemDevice[];
  /** Makes every QEMU node and device id unique for the VM's life. */
  serial: number;
  /** What an interrupted Add document may have left (write-ahead); absent normally. */
  pending?: PendingStep[];
}

export function loadState(files: RunFiles): QemuUvmState | undefined {
  const text = readFileIfExists(files.state);
  if (text === undefined) return undefined;
  let state: QemuUvmState;
  try {
    state = JSON.parse(text) as QemuUvmState;
  } catch (error) {
    throw new UvmLayersError(
      'STORE_CORRUPT',
      `${files.state} is not valid JSON (${(error as Error).message}); remove the folder ${files.dir} after stopping its QEMU`,
    );
  }
  if (state.version !== QEMU_STATE_VERSION) {
    throw new UvmLayersError(
      'STORE_VERSION',
      `${files.state} has version ${String(state.version)}; this build reads version ${QEMU_STATE_VERSION}`,
    );
  }
  return state;
}

export function saveState(files: RunFiles, state: QemuUvmState): void {
  writeFileAtomic(files.state, `${JSON.stringify(state, null, 2)}\n`);
}

/** Every region and port that is taken, parked devices included: neither is ever given back. */
export function pmemInUse(state: QemuUvmState): PmemDevice[] {
  return [...Object.values(state.pmem), ...state.parked];
}
