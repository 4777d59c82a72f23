/**
 * What only a backend with a real guest (qemu) can tell: a container's files with the layer each
 * comes from, the devices the VM really holds against the ledger, and whether the VM still runs.
 */
import type { HcsBackend } from '../hcs/backend.js';
import type { QemuBackend } from '../hcs/qemu/index.js';
import { UvmLayersError } from './errors.js';
import type { ContainerRecord, UvmRecord } from './uvm/record.js';
import type { FileEntryView, UvmView, VerifyReport } from './views.js';

/** The backend as the qemu one, or a clear refusal naming what needs it. */
export function requireRealGuest(backend: HcsBackend, what: string): QemuBackend {
  if (backend.name !== 'qemu') {
    throw new UvmLayersError(
      'NOT_SUPPORTED',
      `${what} needs a real guest to read files from: use --backend qemu (this is the ${backend.name} backend)`,
    );
  }
  return backend as QemuBackend;
}

/** Lists `path` (relative to the rootfs) of a mounted container, each entry with its origin. */
export async function containerFiles(
  qemu: QemuBackend,
  uvm: string,
  container: ContainerRecord,
  path = '',
): Promise<FileEntryView[]> {
  const sub = path.replace(/^\/+/, '');
  if (sub.split('/').includes('..')) {
    throw new UvmLayersError('INVALID_ARGUMENT', `${path} leaves the container's root`);
  }
  const { listContainerFiles } = await import('../hcs/qemu/files.js');
  const layers = container.layers.filter((l) => !l.released);
  const entries = await listContainerFiles(
    qemu,
    uvm,
    {
      rootfs: container.rootfs,
      layers: layers.map((l) => ({ folder: l.folder, uvmPath: l.uvmPath })),
      scratch: { uvmPath: container.scratch.uvmPath },
    },
    sub,
  );
  return entries.map(({ name, type, size, origin, whiteout }) => ({
    name,
    type,
    size,
    origin,
    whiteout,
  }));
}

/** Reads the VM back and says what differs from the ledger's view of it. */
export async function verifyReport(qemu: QemuBackend, view: UvmView): Promise<VerifyReport> {
  const readBack = await qemu.readBack(view.id);
  return {
    uvm: view.id,
    state: readBack.state,
    mismatches: qemu.compare(readBack, view),
    parkedVpmem: readBack.pmem
      .filter((p) => p.status === 'parked')
      .map((p) => ({
        device: p.device ?? null,
        hostPath: p.hostPath ?? null,
        sizeBytes: p.sizeBytes,
      })),
  };
}

/** A QEMU utility VM can die under the ledger: the state each one's process is really in. */
export async function liveStates(
  backend: HcsBackend,
  records: UvmRecord[],
): Promise<Map<string, string>> {
  const live = new Map<string, string>();
  if (backend.name !== 'qemu' || !records.some((r) => r.backend === 'qemu')) return live;
  const states = new Map((await backend.enumerate()).map((s) => [s.id, s.state]));
  for (const r of records) if (r.backend === 'qemu') live.set(r.id, states.get(r.id) ?? 'Stopped');
  return live;
}
