/**
 * The truth about a running utility VM, read from QEMU (`query-block`, the SCSI address of each
 * scsi-hd, `query-named-block-nodes`, `query-memory-devices`) and from the guest (the agent's
 * mount table), labelled with what state.json says each object is: an active device, a parked
 * vPMEM device, or something this backend did not record.
 */
import type { AgentMount } from './agent-client.js';
import type { QmpClient } from './qmp-client.js';
import type { PendingStep, PmemDevice, QemuUvmState, ScsiDisk } from './qemu-state.js';
import type { VmSession } from './vm-session.js';

export interface ReadBackScsi {
  deviceId: string;
  controller: number | undefined;
  lun: number | undefined;
  formatNode: string;
  driver: string;
  hostPath: string;
  readOnly: boolean;
  /** The state.json slot ("c:l") this device belongs to, if any. */
  recordedAs: string | undefined;
}

export interface ReadBackPmem {
  deviceId: string;
  memaddr: number;
  sizeBytes: number;
  memdev: string;
  /** active: holds an HCS vPMEM device; parked: removed but not unpluggable; unknown: not ours. */
  status: 'active' | 'parked' | 'unknown';
  device: number | undefined;
  hostPath: string | undefined;
  port: string | undefined;
}

export interface ReadBackNode {
  name: string;
  driver: string;
  file: string;
  readOnly: boolean;
}

export interface ReadBack {
  id: string;
  /** Running: QEMU is up and was read; Created: not started; Stopped: its QEMU is gone. */
  state: 'Created' | 'Running' | 'Stopped';
  pid: number | undefined;
  accel: string | undefined;
  scsi: ReadBackScsi[];
  pmem: ReadBackPmem[];
  blockNodes: ReadBackNode[];
  /** Named block nodes no attached disk uses (leftovers of a failed step). */
  orphanNodes: string[];
  guestMounts: AgentMount[];
  /** What state.json holds, for comparison. */
  recorded: { scsi: ScsiDisk[]; pmem: PmemDevice[]; parked: PmemDevice[] };
  /** Objects an interrupted request may have left; the next modify removes them. */
  pending: PendingStep[];
}

export function emptyReadBack(state: QemuUvmState, running: 'Created' | 'Stopped'): ReadBack {
  return {
    id: state.id,
    state: running,
    pid: state.process?.pid,
    accel: state.process?.accel,
    scsi: [],
    pmem: [],
    blockNodes: [],
    orphanNodes: [],
    guestMounts: [],
    recorded: recorded(state),
    pending: state.pending ?? [],
  };
}

export async function readRunningVm(session: VmSession, state: QemuUvmState): Promise<ReadBack> {
  const { qmp } = session;
  const blockNodes = await namedNodes(qmp);
  const scsi = await scsiDevices(qmp, state, blockNodes);
  const pmem = await pmemDevices(qmp, state);
  // A node is in use when a disk device reads from it, directly or as its format node's file.
  const attached = new Set(scsi.map((d) => d.formatNode));
  const owned = new Set([
    ...attached,
    ...Object.values(state.scsi)
      .filter((d) => attached.has(d.formatNode))
      .map((d) => d.fileNode),
  ]);
  const agent = await session.agent();
  return {
    id: state.id,
    state: 'Running',
    pid: state.process?.pid,
    accel: state.process?.accel,
    scsi,
    pmem,
    blockNodes,
    orphanNodes: blockNodes.map((n) => n.name).filter((name) => !owned.has(name)),
    guestMounts: await agent.mounts(),
    recorded: recorded(state),
    pending: state.pending ?? [],
  };
}

function recorded(state: QemuUvmState): ReadBack['recorded'] {
  return {
    scsi: Object.values(state.scsi),
    pmem: Object.values(state.pmem),
    parked: state.parked,
  };
}

async function query<T>(
  qmp: QmpClient,
  command: string,
  args?: Record<string, unknown>,
): Promise<T> {
  const result = await qmp.execute<T>(command, args);
  if (!result.ok) throw new Error(`QEMU refused ${command}: ${result.error.desc}`);
  return result.value;
}

interface BlockDeviceInfo {
  'node-name'?: string;
  drv?: string;
  file?: string;
  ro?: boolean;
}

async function namedNodes(qmp: QmpClient): Promise<ReadBackNode[]> {
  const nodes = await query<BlockDeviceInfo[]>(qmp, 'query-named-block-nodes', { flat: true });
  return nodes
    .filter((n) => typeof n['node-name'] === 'string' && !n['node-name'].startsWith('#'))
    .map((n) => ({
      name: n['node-name'] ?? '',
      driver: n.drv ?? '',
      file: hostFileOf(n.file ?? ''),
      readOnly: n.ro === true,
    }));
}

/** QEMU names a filtered node's file as `json:{...}`; the host path is the innermost filename. */
export function hostFileOf(file: string): string {
  if (!file.startsWith('json:')) return file;
  try {
    interface FileSpec {
      filename?: string;
      file?: unknown;
    }
    let node = JSON.parse(file.slice(5)) as FileSpec;
    for (;;) {
      if (typeof node.file === 'object' && node.file !== null) {
        node = node.file;
        continue;
      }
      return typeof node.filename === 'string'
        ? node.filename
        : typeof node.file === 'string'
          ? node.file
          : file;
    }
  } catch {
    return file;
  }
}

interface BlockInfo {
  qdev?: string;
  inserted?: BlockDeviceInfo;
}

async function scsiDevices(
  qmp: QmpClient,
  state: QemuUvmState,
  nodes: ReadBackNode[],
): Promise<ReadBackScsi[]> {
  const blocks = await query<BlockInfo[]>(qmp, 'query-block');
  const out: ReadBackScsi[] = [];
  for (const block of blocks) {
    const deviceId = block.qdev ?? '';
    const inserted = block.inserted;
    if (deviceId === '' || !inserted) continue;
    const formatNode = inserted['node-name'] ?? '';
    const recordedAs = Object.entries(state.scsi).find(([, d]) => d.deviceId === deviceId)?.[0];
    const fileNode = recordedAs === undefined ? undefined : state.scsi[recordedAs]?.fileNode;
    const file = nodes.find((n) => n.name === fileNode)?.file ?? hostFileOf(inserted.file ?? '');
    out.push({
      deviceId,
      controller: await qomNumber(qmp, deviceId, 'scsi-id'),
      lun: await qomNumber(qmp, deviceId, 'lun'),
      formatNode,
      driver: inserted.drv ?? '',
      hostPath: file,
      readOnly: inserted.ro === true,
      recordedAs,
    });
  }
  return out;
}

async function qomNumber(
  qmp: QmpClient,
  deviceId: string,
  property: string,
): Promise<number | undefined> {
  const path = deviceId.startsWith('/') ? deviceId : `/machine/peripheral/${deviceId}`;
  const result = await qmp.execute<number>('qom-get', { path, property });
  return result.ok && typeof result.value === 'number' ? result.value : undefined;
}

interface MemoryDeviceInfo {
  type: string;
  data: { id?: string; memaddr?: number; size?: number; memdev?: string };
}

async function pmemDevices(qmp: QmpClient, state: QemuUvmState): Promise<ReadBackPmem[]> {
  const devices = await query<MemoryDeviceInfo[]>(qmp, 'query-memory-devices');
  return devices
    .filter((d) => d.type === 'virtio-pmem')
    .map((d) => {
      const id = d.data.id ?? '';
      const active = Object.values(state.pmem).find((p) => p.deviceId === id);
      const parked = state.parked.find((p) => p.deviceId === id);
      const record = active ?? parked;
      return {
        deviceId: id,
        memaddr: d.data.memaddr ?? 0,
        sizeBytes: d.data.size ?? 0,
        memdev: d.data.memdev ?? '',
        status: active ? 'active' : parked ? 'parked' : 'unknown',
        device: record?.device,
        hostPath: record?.hostPath,
        port: record?.port,
      };
    });
}
