/**
 * An in-memory `LayerService` for tests and the UI benchmark: enough of the engine's behaviour
 * (device placement, ref counts, progress steps with rollback, an injected fault, a request log,
 * change notifications) to drive the API hosts and the renderer without the real engine.
 * It makes no HCS rules of its own beyond what the UI needs to show.
 *
 * With `backend: 'qemu'` it also plays the qemu backend's two read-side extras, without a VM:
 * `files` lists a per-container file tree (seeded with `seedFiles`, else a small demo tree made
 * from the container's layers), and `verifyUvm` returns a report whose parked vPMEM devices are
 * the ones this service removed (QEMU cannot unplug virtio-pmem, so a removed device stays
 * plugged) plus whatever `seedVerify` added.
 */
import { UvmLayersError } from '../../engine/errors.js';
import type { BackendName } from '../../hcs/backend.js';
import type {
  CreateUvmRequest,
  FilesRequest,
  LayerService,
  LogFilter,
  MountRequest,
  OperationStep,
  ProgressListener,
  RemoveUvmRequest,
  StateChange,
  UnmountRequest,
} from '../../engine/service-api.js';
import type {
  ContainerView,
  FileEntryView,
  LogEntry,
  UvmSummary,
  UvmView,
  VerifyReport,
} from '../../engine/views.js';

export interface MemoryServiceOptions {
  stateDir?: string;
  /** The Nth modify request sent by this service fails (1-based), like `--sim-fail-at`. */
  failAt?: number;
  /** Delay before each step, so tests can watch progress. */
  stepDelayMs?: number;
  /** 'qemu': answer `files` and `verifyUvm` like the qemu backend (see the module comment). */
  backend?: Extract<BackendName, 'sim' | 'qemu'>;
}

/** One container's merged rootfs: the listing of each directory, by its path relative to the
 * rootfs without leading or trailing slashes (`''` is the root, `etc`, `usr/bin`). */
export type MemoryFileTree = Record<string, FileEntryView[]>;

export type MemoryMismatch = VerifyReport['mismatches'][number];
export type MemoryParkedVpmem = VerifyReport['parkedVpmem'][number];

/** What `seedVerify` adds to a UVM's read-back. */
export interface MemoryVerifySeed {
  mismatches?: MemoryMismatch[];
  parkedVpmem?: MemoryParkedVpmem[];
}

const clone = <T>(value: T): T => structuredClone(value);

export class MemoryLayerService implements LayerService {
  readonly backend: BackendName;
  readonly stateDir: string;
  /** How many read-backs were asked for (tests check the UI does not poll). */
  verifyCalls = 0;
  private readonly trees = new Map<string, MemoryFileTree>();
  private readonly parked = new Map<string, MemoryParkedVpmem[]>();
  private readonly verifySeeds = new Map<string, MemoryVerifySeed>();
  private readonly uvms = new Map<string, UvmView>();
  private containerList: ContainerView[] = [];
  private readonly entries: LogEntry[] = [];
  private readonly listeners = new Set<(change: StateChange) => void>();
  private requests = 0;
  private readonly revisions = new Map<string, number>();
  closed = false;

  constructor(private readonly options: MemoryServiceOptions = {}) {
    this.stateDir = options.stateDir ?? '/memory';
    this.backend = options.backend ?? 'sim';
  }

  /** (qemu) Sets the files of the container at `guestRoot` in `uvm`, mounted now or later. */
  seedFiles(uvm: string, guestRoot: string, tree: MemoryFileTree): void {
    this.trees.set(treeKey(uvm, guestRoot), clone(tree));
  }

  /** (qemu) Adds mismatches and parked devices to a UVM's read-back; replaces the previous seed.
   * Silent, like a VM that changed under the ledger: the next read-back shows it. */
  seedVerify(uvm: string, seed: MemoryVerifySeed): void {
    this.verifySeeds.set(uvm, clone(seed));
  }

  /** Replaces the whole state at once (the benchmark's large fixture). */
  load(uvms: UvmView[], containers: ContainerView[]): void {
    this.uvms.clear();
    for (const uvm of uvms) this.uvms.set(uvm.id, clone(uvm));
    this.containerList = clone(containers);
  }

  /** Changes one UVM in place and announces it, as a write by another process would. */
  mutate(id: string, change: (view: UvmView) => void): void {
    const view = this.uvms.get(id);
    if (!view) throw new UvmLayersError('UVM_NOT_FOUND', `uvm ${id} not found`);
    change(view);
    this.changed(id);
  }

  listUvms(): Promise<UvmSummary[]> {
    return Promise.resolve([...this.uvms.values()].map((u) => this.summary(u)));
  }

  showUvm(id: string): Promise<UvmView> {
    return Promise.resolve(clone(this.get(id)));
  }

  async createUvm(request: CreateUvmRequest, progress?: ProgressListener): Promise<UvmView> {
    if (this.uvms.has(request.id))
      throw new UvmLayersError('UVM_EXISTS', `uvm ${request.id} already exists`);
    const steps = new Steps(progress, this.options.stepDelayMs);
    await steps.run(`create ${request.os} compute system ${request.id}`, () => undefined);
    const view: UvmView = {
      id: request.id,
      os: request.os,
      state: 'Running',
      options: {
        vpmemCount: request.os === 'linux' ? (request.vpmemCount ?? 64) : 0,
        vpmemMaxSizeBytes: request.vpmemMaxSizeBytes ?? 4 * 1024 ** 3,
        scsiControllers: request.scsiControllers ?? 1,
        physicallyBacked: request.physicallyBacked ?? false,
        vpmemMultiMapping: request.vpmemMultiMapping ?? false,
      },
      scsi: [],
      vpmem: [],
      vsmb: [],
      combinedLayers: [],
      reserved: [{ kind: 'scsi', controller: 0, lun: 0, purpose: 'uvm scratch' }],
    };
    await steps.run('start compute system', () => undefined);
    this.uvms.set(view.id, view);
    this.record(view.id, { Operation: 'Create', Id: view.id }, true, false);
    this.changed(view.id);
    return clone(view);
  }

  async removeUvm(request: RemoveUvmRequest, progress?: ProgressListener): Promise<void> {
    this.get(request.id);
    if (!request.force && this.containerList.some((c) => c.uvm === request.id)) {
      throw new UvmLayersError('UVM_BUSY', `uvm ${request.id} has mounted containers`);
    }
    const steps = new Steps(progress, this.options.stepDelayMs);
    await steps.run(`terminate ${request.id}`, () => undefined);
    this.uvms.delete(request.id);
    this.containerList = this.containerList.filter((c) => c.uvm !== request.id);
    this.parked.delete(request.id);
    this.verifySeeds.delete(request.id);
    for (const key of [...this.trees.keys()])
      if (key.startsWith(treeKey(request.id, ''))) this.trees.delete(key);
    this.changed(request.id);
  }

  async mount(request: MountRequest, progress?: ProgressListener): Promise<{ rootfs: string }> {
    if (request.uvm === undefined)
      throw new UvmLayersError('NOT_SUPPORTED', 'host mounts are not simulated here');
    const uvm = this.get(request.uvm);
    if (this.containerList.some((c) => c.uvm === uvm.id && c.guestRoot === request.guestRoot)) {
      throw new UvmLayersError(
        'CONTAINER_EXISTS',
        `a container is already mounted at ${request.guestRoot}`,
      );
    }
    const before = clone(uvm);
    const steps = new Steps(progress, this.options.stepDelayMs);
    const undo: Array<{ label: string; action: () => void }> = [];
    const container: ContainerView = {
      uvm: uvm.id,
      guestRoot: request.guestRoot,
      rootfs: uvm.os === 'linux' ? `${request.guestRoot}/rootfs` : request.guestRoot,
      scratch: { hostPath: `${request.scratch}/sandbox.vhdx`, device: '', released: false },
      layers: [],
    };
    try {
      for (const folder of request.layers) {
        if (uvm.os === 'linux' && uvm.vpmem.length < uvm.options.vpmemCount) {
          const device = nextFree(uvm.vpmem.map((d) => d.device));
          const uvmPath = `/run/layers/p${device}`;
          await steps.run(`add vPMEM device ${device} for ${folder}`, () =>
            this.modify(uvm.id, vpmemRequest(device, 'Add', `${folder}/layer.vhd`)),
          );
          uvm.vpmem.push({
            device,
            hostPath: `${folder}/layer.vhd`,
            uvmPath,
            sizeBytes: 1024,
            refCount: 1,
            mappings: [],
          });
          uvm.vpmem.sort((a, b) => a.device - b.device);
          undo.push({
            label: `remove vPMEM device ${device}`,
            action: () => {
              this.modify(uvm.id, vpmemRequest(device, 'Remove'));
              this.park(uvm, device);
            },
          });
          container.layers.push({
            folder,
            kind: 'vpmem',
            device: String(device),
            uvmPath,
            released: false,
          });
        } else if (uvm.os === 'linux') {
          const slot = this.addScsi(uvm, `${folder}/layer.vhd`, true, steps, undo);
          container.layers.push({
            folder,
            kind: 'scsi',
            device: slot.device,
            uvmPath: slot.uvmPath,
            released: false,
          });
          await slot.done;
        } else {
          const name = `s${(uvm.vsmb.length + 1).toString(16)}`;
          const uvmPath = `\\\\?\\VMSMB\\VSMB-{dcc079ae-60ba-4d07-847c-3493609c0870}\\${name}`;
          await steps.run(`add VSMB share ${name} for ${folder}`, () =>
            this.modify(uvm.id, vsmbRequest('Add', name, folder)),
          );
          uvm.vsmb.push({
            name,
            hostPath: folder,
            uvmPath,
            readOnly: true,
            refCount: 1,
            options: { ReadOnly: true },
          });
          undo.push({
            label: `remove VSMB share ${name}`,
            action: () => this.modify(uvm.id, vsmbRequest('Remove', name, folder)),
          });
          container.layers.push({ folder, kind: 'vsmb', device: name, uvmPath, released: false });
        }
      }
      const scratch = this.addScsi(uvm, `${request.scratch}/sandbox.vhdx`, false, steps, undo);
      container.scratch.device = scratch.device;
      await scratch.done;
      await steps.run(`combine layers at ${container.rootfs}`, () =>
        this.modify(uvm.id, combineRequest('Add', container.rootfs)),
      );
      uvm.combinedLayers.push({
        containerRootPath: container.rootfs,
        layers: container.layers.map((l) => l.uvmPath),
        scratchPath: scratch.uvmPath,
      });
    } catch (error) {
      for (const step of undo.reverse()) await steps.run(step.label, step.action, true);
      this.uvms.set(uvm.id, before);
      this.changed(uvm.id);
      throw error;
    }
    this.containerList.push(container);
    this.changed(uvm.id);
    return { rootfs: container.rootfs };
  }

  async unmount(request: UnmountRequest, progress?: ProgressListener): Promise<void> {
    const container = this.containerList.find(
      (c) => c.uvm === (request.uvm ?? null) && c.guestRoot === request.guestRoot,
    );
    if (!container)
      throw new UvmLayersError(
        'CONTAINER_NOT_FOUND',
        `no container mounted at ${request.guestRoot}`,
      );
    const uvm = this.get(container.uvm ?? '');
    const ops = request.ops && request.ops.length > 0 ? request.ops : ['scsi', 'vsmb', 'vpmem'];
    const steps = new Steps(progress, this.options.stepDelayMs);
    // As hcsshim: combined layers always go first; SCSI releases the scratch; VPMEM the LCOW
    // read-only layers wherever they landed; VSMB the WCOW ones.
    if (uvm.combinedLayers.some((c) => c.containerRootPath === container.rootfs)) {
      await steps.run(`remove combined layers at ${container.rootfs}`, () =>
        this.modify(uvm.id, combineRequest('Remove', container.rootfs)),
      );
      uvm.combinedLayers = uvm.combinedLayers.filter(
        (c) => c.containerRootPath !== container.rootfs,
      );
    }
    if (ops.includes('scsi') && !container.scratch.released) {
      await steps.run(`remove SCSI ${container.scratch.device}`, () =>
        this.modify(uvm.id, scsiRequest(container.scratch.device, 'Remove')),
      );
      uvm.scsi = uvm.scsi.filter((s) => `${s.controller}:${s.lun}` !== container.scratch.device);
      container.scratch.released = true;
    }
    for (const layer of container.layers) {
      if (layer.released || !ops.includes(layer.kind === 'vsmb' ? 'vsmb' : 'vpmem')) continue;
      await steps.run(`remove ${layer.kind} ${layer.device}`, () =>
        this.modify(
          uvm.id,
          layer.kind === 'vsmb'
            ? vsmbRequest('Remove', layer.device, layer.folder)
            : layer.kind === 'scsi'
              ? scsiRequest(layer.device, 'Remove')
              : vpmemRequest(Number(layer.device), 'Remove'),
        ),
      );
      if (layer.kind === 'vpmem') {
        this.park(uvm, Number(layer.device));
        uvm.vpmem = uvm.vpmem.filter((d) => String(d.device) !== layer.device);
      }
      if (layer.kind === 'vsmb') uvm.vsmb = uvm.vsmb.filter((d) => d.name !== layer.device);
      if (layer.kind === 'scsi')
        uvm.scsi = uvm.scsi.filter((d) => `${d.controller}:${d.lun}` !== layer.device);
      layer.released = true;
    }
    if (container.scratch.released && container.layers.every((l) => l.released)) {
      this.containerList = this.containerList.filter((c) => c !== container);
    }
    this.changed(uvm.id);
  }

  containers(uvm?: string): Promise<ContainerView[]> {
    return Promise.resolve(
      clone(this.containerList.filter((c) => uvm === undefined || c.uvm === uvm)),
    );
  }

  log(filter: LogFilter = {}): Promise<LogEntry[]> {
    const list = this.entries.filter((e) => filter.uvm === undefined || e.uvm === filter.uvm);
    return Promise.resolve(clone(filter.tail === undefined ? list : list.slice(-filter.tail)));
  }

  /** sim: no guest to read files from. qemu: the seeded (or demo) tree of the container. */
  files(request: FilesRequest): Promise<FileEntryView[]> {
    if (this.backend !== 'qemu') {
      return Promise.reject(
        new UvmLayersError(
          'NOT_SUPPORTED',
          'the files view needs a real guest to read files from: use --backend qemu',
        ),
      );
    }
    try {
      this.get(request.uvm);
      const container = this.containerList.find(
        (c) => c.uvm === request.uvm && c.guestRoot === request.guestRoot,
      );
      if (!container) {
        throw new UvmLayersError(
          'CONTAINER_NOT_FOUND',
          `no container is mounted at ${request.guestRoot} in utility VM ${request.uvm}`,
        );
      }
      const parts = (request.path ?? '').split('/').filter((p) => p !== '' && p !== '.');
      if (parts.includes('..')) {
        throw new UvmLayersError(
          'INVALID_ARGUMENT',
          `the subpath must stay inside the rootfs, got "${request.path ?? ''}"`,
        );
      }
      const tree = this.trees.get(treeKey(request.uvm, request.guestRoot)) ?? demoTree(container);
      const listing = tree[parts.join('/')];
      if (!listing) {
        throw new UvmLayersError(
          'HCS_ERROR',
          `the guest agent failed list: ${[container.rootfs, ...parts].join('/')}: No such file or directory [ENOENT]`,
          { hresult: 0x80070003 },
        );
      }
      return Promise.resolve(clone(listing));
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /** sim: the model is the ledger itself, nothing to read back (null). qemu: a report with
   * the parked devices and the seeded mismatches. */
  verifyUvm(id: string): Promise<VerifyReport | null> {
    this.verifyCalls += 1;
    if (this.backend !== 'qemu') return Promise.resolve(null);
    const view = this.uvms.get(id);
    if (!view) return Promise.reject(new UvmLayersError('UVM_NOT_FOUND', `uvm ${id} not found`));
    const seed = this.verifySeeds.get(id) ?? {};
    return Promise.resolve(
      clone({
        uvm: id,
        state: view.state,
        mismatches: seed.mismatches ?? [],
        parkedVpmem: [...(this.parked.get(id) ?? []), ...(seed.parkedVpmem ?? [])],
      }),
    );
  }

  subscribe(listener: (change: StateChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): Promise<void> {
    this.closed = true;
    this.listeners.clear();
    return Promise.resolve();
  }

  private addScsi(
    uvm: UvmView,
    hostPath: string,
    readOnly: boolean,
    steps: Steps,
    undo: Array<{ label: string; action: () => void }>,
  ): { device: string; uvmPath: string; done: Promise<void> } {
    const taken = new Set([...uvm.scsi, ...uvm.reserved].map((s) => s.controller * 64 + s.lun));
    const slot = nextFree([...taken]);
    if (slot >= uvm.options.scsiControllers * 64) {
      throw new UvmLayersError('NO_AVAILABLE_LOCATION', `no free SCSI slot on ${uvm.id}`);
    }
    const controller = Math.floor(slot / 64);
    const lun = slot % 64;
    const device = `${controller}:${lun}`;
    const uvmPath = `/run/mounts/scsi/m${slot}`;
    const done = steps
      .run(`add SCSI ${controller}:${lun} ${readOnly ? 'layer' : 'scratch'} ${hostPath}`, () =>
        this.modify(uvm.id, scsiRequest(device, 'Add', hostPath)),
      )
      .then(() => {
        uvm.scsi.push({ controller, lun, hostPath, uvmPath, readOnly, refCount: 1 });
        uvm.scsi.sort((a, b) => a.controller - b.controller || a.lun - b.lun);
        undo.push({
          label: `remove SCSI ${controller}:${lun}`,
          action: () => this.modify(uvm.id, scsiRequest(device, 'Remove')),
        });
      });
    return { device, uvmPath, done };
  }

  /** qemu: a removed vPMEM device stays plugged (virtio-pmem cannot be unplugged). */
  private park(uvm: UvmView, device: number): void {
    if (this.backend !== 'qemu') return;
    const d = uvm.vpmem.find((x) => x.device === device);
    const list = this.parked.get(uvm.id) ?? [];
    list.push({ device, hostPath: d?.hostPath ?? null, sizeBytes: d?.sizeBytes ?? 0 });
    this.parked.set(uvm.id, list);
  }

  private modify(uvm: string, request: Record<string, unknown>): void {
    this.requests += 1;
    const failed = this.requests === this.options.failAt;
    this.record(uvm, request, !failed, true);
    if (failed) {
      throw new UvmLayersError(
        'HCS_ERROR',
        `simulated fault at request ${this.requests} (E_FAIL, 0x80004005)`,
        {
          hresult: 0x80004005,
        },
      );
    }
  }

  private record(uvm: string | null, request: unknown, okay: boolean, counted: boolean): void {
    const entry: LogEntry = {
      seq: this.entries.length + 1,
      time: new Date().toISOString(),
      uvm,
      request: counted ? request : { Operation: 'Lifecycle', ...(request as object) },
      ok: okay,
      ms: 0.1,
    };
    if (!okay)
      entry.error = { code: 'HCS_ERROR', message: 'simulated fault', hresult: '0x80004005' };
    this.entries.push(entry);
    for (const listener of this.listeners) listener({ kind: 'log', seq: entry.seq });
  }

  private changed(id: string): void {
    const revision = (this.revisions.get(id) ?? 0) + 1;
    this.revisions.set(id, revision);
    for (const listener of [...this.listeners]) listener({ kind: 'uvm', id, revision });
  }

  private get(id: string): UvmView {
    const view = this.uvms.get(id);
    if (!view) throw new UvmLayersError('UVM_NOT_FOUND', `uvm ${id} not found`);
    return view;
  }

  private summary(u: UvmView): UvmSummary {
    return {
      id: u.id,
      os: u.os,
      state: u.state,
      scsi: u.scsi.length,
      vpmem: u.options.vpmemMultiMapping
        ? u.vpmem.reduce((n, d) => n + d.mappings.length, 0)
        : u.vpmem.length,
      vsmb: u.vsmb.length,
      containers: this.containerList.filter((c) => c.uvm === u.id).length,
    };
  }
}

function scsiRequest(
  device: string,
  type: 'Add' | 'Remove',
  path?: string,
): Record<string, unknown> {
  const [controller, lun] = device.split(':');
  return {
    ResourcePath: `VirtualMachine/Devices/Scsi/${controller}/Attachments/${lun}`,
    RequestType: type,
    ...(path === undefined ? {} : { Settings: { Path: path, Type: 'VirtualDisk' } }),
  };
}

function vpmemRequest(
  device: number,
  type: 'Add' | 'Remove',
  path?: string,
): Record<string, unknown> {
  return {
    ResourcePath: `VirtualMachine/Devices/VirtualPMem/Devices/${device}`,
    RequestType: type,
    ...(path === undefined
      ? {}
      : { Settings: { HostPath: path, ReadOnly: true, ImageFormat: 'Vhd1' } }),
  };
}

function vsmbRequest(type: 'Add' | 'Remove', name: string, path: string): Record<string, unknown> {
  return {
    ResourcePath: 'VirtualMachine/Devices/VirtualSmb/Shares',
    RequestType: type,
    Settings: { Name: name, Path: path },
  };
}

function combineRequest(type: 'Add' | 'Remove', rootfs: string): Record<string, unknown> {
  return {
    GuestRequest: {
      ResourceType: 'CombinedLayers',
      RequestType: type,
      Settings: { ContainerRootPath: rootfs },
    },
  };
}

const treeKey = (uvm: string, guestRoot: string): string => `${uvm}\0${guestRoot}`;

/**
 * The tree a container shows when none was seeded: something from every layer, an entry the top
 * layer overrides, a whiteout (with two layers or more) and the container's own writes.
 */
export function demoTree(container: Pick<ContainerView, 'layers'>): MemoryFileTree {
  const folders = container.layers.map((l) => l.folder);
  const base = folders[0] ?? 'scratch';
  const top = folders.at(-1) ?? 'scratch';
  const entry = (
    name: string,
    type: FileEntryView['type'],
    origin: string,
    size = type === 'dir' ? 4096 : 0,
    whiteout = false,
  ): FileEntryView => ({ name, type, size, origin, whiteout });
  const root = [
    entry('bin', 'dir', base),
    entry('etc', 'dir', top),
    entry('README', 'file', top, 42),
    entry('tmp', 'dir', 'scratch'),
    ...folders.map((f, i) => entry(`layer-${i + 1}.txt`, 'file', f, 100 + i)),
  ];
  if (folders.length >= 2) root.push(entry('opt', 'char', top, 0, true));
  return {
    '': root.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    bin: [entry('busybox', 'file', base, 1_048_576), entry('sh', 'symlink', base, 7)],
    etc: [
      entry('app.conf', 'file', top, 12),
      entry('hostname', 'file', 'scratch', 8),
      entry('os-release', 'file', base, 256),
    ],
    tmp: [entry('scratch-note', 'file', 'scratch', 5)],
  };
}

function nextFree(taken: number[]): number {
  const set = new Set(taken);
  let n = 0;
  while (set.has(n)) n += 1;
  return n;
}

/** Reports each step as running, then done or failed, like the engine's progress listener. */
class Steps {
  private index = 0;

  constructor(
    private readonly listener: ProgressListener | undefined,
    private readonly delayMs = 0,
  ) {}

  async run(label: string, action: () => void, rollback = false): Promise<void> {
    const index = this.index++;
    const report = (step: OperationStep): void => this.listener?.(step);
    report({ index, label, status: 'running', rollback });
    if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    try {
      action();
    } catch (error) {
      const json =
        error instanceof UvmLayersError
          ? error.toJSON()
          : { code: 'INTERNAL' as const, message: String(error) };
      report({ index, label, status: 'failed', rollback, error: json });
      throw error;
    }
    report({ index, label, status: 'done', rollback });
  }
}
