/**
 * Holds a read-back against what the engine's ledger expects and lists every difference as
 * data, so a UI can show "attached in the ledger, missing in the VM" instead of hiding it.
 * `expected` takes the engine's UvmView as it is (only the fields used here are required).
 */
import * as path from 'node:path';
import type { ReadBack } from './readback.js';

export interface ExpectedDevices {
  scsi: readonly {
    controller: number;
    lun: number;
    hostPath: string;
    readOnly: boolean;
    uvmPath: string;
  }[];
  vpmem: readonly { device: number; hostPath: string | null; uvmPath: string | null }[];
  combinedLayers: readonly { containerRootPath: string }[];
}

export type MismatchKind =
  | 'vm-not-running'
  | 'scsi-missing'
  | 'scsi-unexpected'
  | 'scsi-host-path'
  | 'scsi-read-only'
  | 'vpmem-missing'
  | 'vpmem-unexpected'
  | 'vpmem-host-path'
  | 'vpmem-unknown'
  | 'mount-missing'
  | 'mount-unexpected'
  | 'combined-missing'
  | 'combined-unexpected'
  | 'orphan-block-node';

export interface Mismatch {
  kind: MismatchKind;
  /** What it is about: `scsi 0:1`, `vpmem 0`, a guest path, a node name. */
  subject: string;
  expected?: string;
  actual?: string;
  message: string;
}

const isDeviceSource = (source: string): boolean => /^\/dev\/(sd[a-z]+|pmem\d+)/.test(source);

export function compareReadBack(readBack: ReadBack, expected: ExpectedDevices): Mismatch[] {
  const out: Mismatch[] = [];
  const add = (m: Mismatch): void => void out.push(m);
  const expectsDevices =
    expected.scsi.length + expected.vpmem.length + expected.combinedLayers.length > 0;
  if (readBack.state !== 'Running') {
    if (expectsDevices) {
      add({
        kind: 'vm-not-running',
        subject: readBack.id,
        expected: 'Running',
        actual: readBack.state,
        message: `utility VM ${readBack.id} is ${readBack.state}, but the ledger holds devices for it`,
      });
    }
    return out;
  }
  const mounts = readBack.guestMounts;
  const mountedAt = (target: string): string | undefined =>
    mounts.find((m) => m.target === target)?.source;
  const expectedMounts = new Set<string>();

  for (const want of expected.scsi) {
    const subject = `scsi ${want.controller}:${want.lun}`;
    const have = readBack.scsi.find((d) => d.controller === want.controller && d.lun === want.lun);
    expectedMounts.add(want.uvmPath);
    if (!have) {
      add({
        kind: 'scsi-missing',
        subject,
        expected: want.hostPath,
        message: `${subject} (${want.hostPath}) is in the ledger but no such disk is attached in QEMU`,
      });
      continue;
    }
    if (!samePath(have.hostPath, want.hostPath)) {
      add({
        kind: 'scsi-host-path',
        subject,
        expected: want.hostPath,
        actual: have.hostPath,
        message: `${subject} holds ${have.hostPath}, the ledger says ${want.hostPath}`,
      });
    }
    if (have.readOnly !== want.readOnly) {
      add({
        kind: 'scsi-read-only',
        subject,
        expected: String(want.readOnly),
        actual: String(have.readOnly),
        message: `${subject} is ${have.readOnly ? 'read-only' : 'read-write'} in QEMU, ${want.readOnly ? 'read-only' : 'read-write'} in the ledger`,
      });
    }
    if (mountedAt(want.uvmPath) === undefined) {
      add({
        kind: 'mount-missing',
        subject: want.uvmPath,
        expected: subject,
        message: `${subject} should be mounted at ${want.uvmPath} in the guest, but nothing is mounted there`,
      });
    }
  }
  for (const have of readBack.scsi) {
    const wanted = expected.scsi.some(
      (w) => w.controller === have.controller && w.lun === have.lun,
    );
    if (!wanted) {
      const subject = `scsi ${have.controller ?? '?'}:${have.lun ?? '?'}`;
      add({
        kind: 'scsi-unexpected',
        subject,
        actual: have.hostPath,
        message: `${subject} (${have.hostPath}, QEMU device ${have.deviceId}) is attached but not in the ledger`,
      });
    }
  }

  const active = readBack.pmem.filter((p) => p.status === 'active');
  for (const want of expected.vpmem) {
    if (want.hostPath === null) continue;
    const subject = `vpmem ${want.device}`;
    const have = active.find((p) => p.device === want.device);
    if (want.uvmPath !== null) expectedMounts.add(want.uvmPath);
    if (!have) {
      add({
        kind: 'vpmem-missing',
        subject,
        expected: want.hostPath,
        message: `${subject} (${want.hostPath}) is in the ledger but QEMU has no active virtio-pmem device for it`,
      });
      continue;
    }
    if (have.hostPath !== undefined && !samePath(have.hostPath, want.hostPath)) {
      add({
        kind: 'vpmem-host-path',
        subject,
        expected: want.hostPath,
        actual: have.hostPath,
        message: `${subject} maps ${have.hostPath}, the ledger says ${want.hostPath}`,
      });
    }
    if (want.uvmPath !== null && mountedAt(want.uvmPath) === undefined) {
      add({
        kind: 'mount-missing',
        subject: want.uvmPath,
        expected: subject,
        message: `${subject} should be mounted at ${want.uvmPath} in the guest, but nothing is mounted there`,
      });
    }
  }
  for (const have of active) {
    if (!expected.vpmem.some((w) => w.hostPath !== null && w.device === have.device)) {
      const subject = `vpmem ${have.device ?? '?'}`;
      add({
        kind: 'vpmem-unexpected',
        subject,
        actual: have.hostPath,
        message: `${subject} (${have.hostPath ?? '?'}, QEMU device ${have.deviceId}) is active but not in the ledger`,
      });
    }
  }
  for (const have of readBack.pmem.filter((p) => p.status === 'unknown')) {
    add({
      kind: 'vpmem-unknown',
      subject: have.deviceId,
      actual: have.memdev,
      message: `QEMU has a virtio-pmem device ${have.deviceId} that this backend never recorded`,
    });
  }

  const roots = new Set(expected.combinedLayers.map((c) => c.containerRootPath));
  for (const root of roots) {
    const source = mounts.find((m) => m.target === root && m.fstype === 'overlay');
    if (!source) {
      add({
        kind: 'combined-missing',
        subject: root,
        message: `the ledger has combined layers at ${root}, but no overlay is mounted there in the guest`,
      });
    }
  }
  for (const m of mounts) {
    if (m.fstype === 'overlay' && !roots.has(m.target)) {
      add({
        kind: 'combined-unexpected',
        subject: m.target,
        message: `an overlay is mounted at ${m.target} in the guest but the ledger has no combined layers there`,
      });
    } else if (isDeviceSource(m.source) && !expectedMounts.has(m.target)) {
      add({
        kind: 'mount-unexpected',
        subject: m.target,
        actual: m.source,
        message: `${m.source} is mounted at ${m.target} in the guest but the ledger expects no mount there`,
      });
    }
  }
  for (const node of readBack.orphanNodes) {
    add({
      kind: 'orphan-block-node',
      subject: node,
      message: `QEMU holds block node ${node}, which no attached disk uses (left over by a failed step)`,
    });
  }
  return out;
}

function samePath(a: string, b: string): boolean {
  return path.resolve(a) === path.resolve(b);
}
