/**
 * The LayerService: each operation is one transaction on one record (a UVM, or the host's
 * containers) under that record's lock: recover an interrupted operation, load, journal and send
 * the requests, commit atomically. Operations on different UVMs never wait for each other (B9).
 */
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import type { BackendName, HcsBackend } from '../hcs/backend.js';
import { StateStore } from '../store/state-store.js';
import { openBackend } from './backends.js';
import { toUvmLayersError, UvmLayersError, withContext } from './errors.js';
import { containerFiles, liveStates, requireRealGuest, verifyReport } from './guest-view.js';
import { mountHostLayers, unmountHostLayers } from './host-mount.js';
import {
  isFullyReleased,
  mountContainerLayers,
  unmountContainerLayers,
  unmountMask,
} from './layers.js';
import { OperationJournal, intentName, logCall, type OperationKind } from './operation-journal.js';
import { isSystemGone, recover } from './recovery.js';
import type {
  CreateUvmRequest,
  FilesRequest,
  LayerService,
  LogFilter,
  MountRequest,
  ProgressListener,
  RemoveUvmRequest,
  StateChange,
  UnmountRequest,
} from './service-api.js';
import {
  newUvmRecord,
  type ContainerRecord,
  type HostRecord,
  type UvmRecord,
} from './uvm/record.js';
import { UtilityVm } from './uvm/utility-vm.js';
import { toContainerView, toUvmSummary, toUvmView } from './uvm/view.js';
import {
  validateCreate,
  validateGuestRoot,
  validateMountFolders,
  validateUnmountOps,
  validateUvmId,
} from './validate.js';
import type {
  ContainerView,
  FileEntryView,
  LogEntry,
  UvmSummary,
  UvmView,
  VerifyReport,
} from './views.js';

export interface LayerServiceOptions {
  stateDir: string;
  backend: BackendName;
  simFailAt?: number;
}

const HOST_KEY = 'host';
const uvmKey = (id: string): string => `uvm/${id}`;

export async function openLayerService(options: LayerServiceOptions): Promise<LayerService> {
  const store = StateStore.open(options.stateDir);
  const backend = await openBackend(options.backend, store, options.simFailAt);
  return new Service(store, backend);
}

/** For tests and embedders that build the store and backend themselves. */
export function createLayerService(store: StateStore, backend: HcsBackend): LayerService {
  return new Service(store, backend);
}

class Service implements LayerService {
  constructor(
    private readonly store: StateStore,
    private readonly hcs: HcsBackend,
  ) {}

  get backend(): BackendName {
    return this.hcs.name;
  }

  get stateDir(): string {
    return this.store.dir;
  }

  async listUvms(): Promise<UvmSummary[]> {
    const ids = this.store.list('uvm/').map((k) => k.slice(4));
    const records: UvmRecord[] = [];
    for (const id of ids) {
      const record = await this.readUvm(id);
      if (record) records.push(record);
    }
    const live = await liveStates(this.hcs, records);
    const summaries = records.map((r) => ({
      ...toUvmSummary(r),
      state: live.get(r.id) ?? r.state,
    }));
    return [...summaries, ...(await this.externalSystems(new Set(ids)))];
  }

  /** Real HCS also knows compute systems other tools made (hcsshim's UVMs, containers). */
  private async externalSystems(known: Set<string>): Promise<UvmSummary[]> {
    if (this.hcs.name !== 'hcs') return [];
    const systems = await this.hcs.enumerate();
    return systems
      .filter((s) => !known.has(s.id))
      .map((s) => ({
        id: s.id,
        os: /windows/i.test(s.runtimeOsType ?? '') ? ('windows' as const) : ('linux' as const),
        state: s.state,
        scsi: 0,
        vpmem: 0,
        vsmb: 0,
        containers: 0,
        external: { systemType: s.systemType, owner: s.owner ?? '' },
      }));
  }

  async showUvm(id: string): Promise<UvmView> {
    const record = await this.requireUvm(validateUvmId(id));
    const live = await liveStates(this.hcs, [record]);
    return { ...toUvmView(record), state: live.get(record.id) ?? record.state };
  }

  async createUvm(request: CreateUvmRequest, progress?: ProgressListener): Promise<UvmView> {
    const config = validateCreate(request);
    return this.transaction(
      uvmKey(config.id),
      'create-uvm',
      null,
      progress,
      async (journal) => {
        if (this.store.read(uvmKey(config.id))) {
          throw new UvmLayersError(
            'UVM_EXISTS',
            `utility VM ${config.id} already exists; pick another id or remove it first`,
          );
        }
        const uvm = config.id;
        await journal.send(
          { kind: 'create', uvm, config },
          { kind: 'terminate', uvm },
          `Create utility VM ${uvm}`,
        );
        try {
          await journal.send({ kind: 'start', uvm }, null, `Start utility VM ${uvm}`);
        } catch (error) {
          const failure = withContext(`failed to start utility VM ${uvm}`, error);
          try {
            await journal.send({ kind: 'terminate', uvm }, null, `Remove utility VM ${uvm} again`);
          } catch (cleanup) {
            throw new UvmLayersError(
              'ROLLBACK_FAILED',
              `${failure.message}; removing it again also failed`,
              {
                causes: [failure, cleanup],
              },
            );
          }
          if (journal.hasIntent) this.store.clearIntent(intentName(uvmKey(uvm)));
          throw failure;
        }
        const record = newUvmRecord(
          uvm,
          config.os,
          {
            vpmemCount: config.vpmemCount,
            vpmemMaxSizeBytes: config.vpmemMaxSizeBytes,
            scsiControllers: config.scsiControllers,
            physicallyBacked: config.physicallyBacked,
            vpmemMultiMapping: config.vpmemMultiMapping,
          },
          this.hcs.name,
        );
        this.commit(uvmKey(uvm), record, journal);
        return toUvmView(record);
      },
      config.id,
    );
  }

  async removeUvm(request: RemoveUvmRequest, progress?: ProgressListener): Promise<void> {
    const id = validateUvmId(request.id);
    await this.transaction(
      uvmKey(id),
      'remove-uvm',
      null,
      progress,
      async (journal) => {
        const record = this.loadUvm(id);
        if (record.containers.length > 0 && request.force !== true) {
          throw new UvmLayersError(
            'UVM_BUSY',
            `utility VM ${id} has ${record.containers.length} mounted container(s) (${record.containers
              .map((c) => c.guestRoot)
              .join(', ')}); unmount them first or pass --force`,
          );
        }
        journal.begin();
        try {
          await journal.send({ kind: 'terminate', uvm: id }, null, `Terminate utility VM ${id}`);
        } catch (error) {
          if (!isSystemGone(error)) throw withContext(`failed to remove utility VM ${id}`, error);
        }
        this.store.delete(uvmKey(id));
        this.store.clearIntent(intentName(uvmKey(id)));
      },
      id,
    );
  }

  async mount(request: MountRequest, progress?: ProgressListener): Promise<{ rootfs: string }> {
    if (request.uvm === undefined) return this.mountHost(request, progress);
    const id = validateUvmId(request.uvm);
    return this.transaction(uvmKey(id), 'mount', id, progress, async (journal) => {
      const record = this.loadUvm(id);
      const guestRoot = validateGuestRoot(request.guestRoot, record.os);
      const { layers, scratch } = validateMountFolders(request, record.os);
      if (record.containers.some((c) => c.guestRoot === guestRoot)) {
        throw new UvmLayersError(
          'CONTAINER_EXISTS',
          `a container is already mounted at ${guestRoot} in utility VM ${id}; unmount it or pick another --guest-root`,
        );
      }
      const vm = new UtilityVm(record, journal);
      try {
        const container = await mountContainerLayers(vm, layers, scratch, guestRoot, (n) =>
          journal.nameToGuid(n),
        );
        record.containers.push(container);
        return { rootfs: container.rootfs };
      } finally {
        // Committed either way: a failed mount leaves the record as it was, but counters advance.
        this.commit(uvmKey(id), record, journal);
      }
    });
  }

  async unmount(request: UnmountRequest, progress?: ProgressListener): Promise<void> {
    const ops = validateUnmountOps(request.ops);
    if (request.uvm === undefined) {
      if (ops.length > 0 && ops.length < 3) {
        throw new UvmLayersError(
          'INVALID_ARGUMENT',
          'only operation supported for host-mounted folders is unmountOperationAll (--op all)',
        );
      }
      return this.unmountHost(request, progress);
    }
    const id = validateUvmId(request.uvm);
    await this.transaction(uvmKey(id), 'unmount', id, progress, async (journal) => {
      const record = this.loadUvm(id);
      const container = findContainer(record.containers, request, `utility VM ${id}`);
      const vm = new UtilityVm(record, journal);
      try {
        await unmountContainerLayers(vm, container, unmountMask(ops));
      } finally {
        if (isFullyReleased(container))
          record.containers = record.containers.filter((c) => c !== container);
        this.commit(uvmKey(id), record, journal);
      }
    });
  }

  async containers(uvm?: string): Promise<ContainerView[]> {
    if (uvm !== undefined) {
      const record = await this.requireUvm(validateUvmId(uvm));
      return record.containers.map((c) => toContainerView(record.id, c));
    }
    const views: ContainerView[] = [];
    for (const id of this.store.list('uvm/').map((k) => k.slice(4))) {
      const record = await this.readUvm(id);
      if (record) views.push(...record.containers.map((c) => toContainerView(id, c)));
    }
    const host = await this.readHost();
    views.push(...host.containers.map((c) => toContainerView(null, c)));
    return views;
  }

  log(filter: LogFilter = {}): Promise<LogEntry[]> {
    if (filter.tail !== undefined && (!Number.isSafeInteger(filter.tail) || filter.tail < 1)) {
      return Promise.reject(
        new UvmLayersError(
          'INVALID_ARGUMENT',
          `--tail must be a positive whole number (got ${filter.tail})`,
        ),
      );
    }
    return Promise.resolve(this.store.readLog(filter));
  }

  async files(request: FilesRequest): Promise<FileEntryView[]> {
    const id = validateUvmId(request.uvm);
    const qemu = requireRealGuest(this.hcs, 'the files view');
    const record = await this.requireUvm(id);
    const container = record.containers.find((c) => c.guestRoot === request.guestRoot);
    if (!container) {
      throw new UvmLayersError(
        'CONTAINER_NOT_FOUND',
        `no container is mounted at ${request.guestRoot} in utility VM ${id}; see \`uvm-layers containers\``,
      );
    }
    return containerFiles(qemu, id, container, request.path);
  }

  async verifyUvm(id: string): Promise<VerifyReport | null> {
    const view = await this.showUvm(id);
    return this.hcs.name === 'qemu'
      ? verifyReport(requireRealGuest(this.hcs, 'a read-back'), view)
      : null;
  }

  subscribe(listener: (change: StateChange) => void): () => void {
    return this.store.subscribe(({ key, revision }) => {
      if (key.startsWith('uvm/')) listener({ kind: 'uvm', id: key.slice(4), revision });
      else if (key === HOST_KEY) listener({ kind: 'host', revision });
      else if (key === 'log' && revision !== null) listener({ kind: 'log', seq: revision });
    });
  }

  async close(options: { stopUtilityVms?: boolean } = {}): Promise<void> {
    if (options.stopUtilityVms && this.hcs.name === 'qemu') await this.stopUtilityVms();
    await this.hcs.close();
    this.store.close();
  }

  /** Stops every QEMU VM of this store; each record stays, marked Stopped. */
  private async stopUtilityVms(): Promise<void> {
    for (const id of this.store.list('uvm/').map((k) => k.slice(4))) {
      await this.store.withLock(uvmKey(id), async () => {
        const record = this.store.read<UvmRecord>(uvmKey(id))?.data;
        if (!record || record.backend !== 'qemu' || record.state === 'Stopped') return;
        const started = performance.now();
        const call = { kind: 'terminate' as const, uvm: id };
        try {
          await this.hcs.terminateUtilityVm(id);
          logCall(this.store, id, call, started);
        } catch (error) {
          logCall(this.store, id, call, started, toUvmLayersError(error));
          if (!isSystemGone(error)) return;
        }
        record.state = 'Stopped';
        this.store.write(uvmKey(id), record);
      });
    }
  }

  private async mountHost(
    request: MountRequest,
    progress?: ProgressListener,
  ): Promise<{ rootfs: string }> {
    const guestRoot = validateGuestRoot(request.guestRoot, 'host');
    const { layers, scratch } = validateMountFolders(request, 'host');
    return this.transaction(HOST_KEY, 'mount', null, progress, async (journal) => {
      const host = this.loadHost();
      if (host.containers.some((c) => c.guestRoot === guestRoot)) {
        throw new UvmLayersError(
          'CONTAINER_EXISTS',
          `a host container is already mounted with --guest-root ${guestRoot}`,
        );
      }
      try {
        const container = await mountHostLayers(journal, layers, scratch, guestRoot);
        host.containers.push(container);
        return { rootfs: container.rootfs };
      } finally {
        this.commit(HOST_KEY, host, journal);
      }
    });
  }

  private async unmountHost(request: UnmountRequest, progress?: ProgressListener): Promise<void> {
    await this.transaction(HOST_KEY, 'unmount', null, progress, async (journal) => {
      const host = this.loadHost();
      const container = findContainer(host.containers, request, 'the host');
      try {
        await unmountHostLayers(journal, container);
      } finally {
        if (isFullyReleased(container))
          host.containers = host.containers.filter((c) => c !== container);
        this.commit(HOST_KEY, host, journal);
      }
    });
  }

  /**
   * Runs `fn` under the record's lock after recovering any operation a dead process left there.
   * `journalUvm` is the UVM that requests go to (null for host and lifecycle-only operations).
   */
  private transaction<T>(
    key: string,
    op: OperationKind,
    journalUvm: string | null,
    progress: ProgressListener | undefined,
    fn: (journal: OperationJournal) => Promise<T>,
    lifecycleUvm?: string,
  ): Promise<T> {
    return this.store.withLock(key, async () => {
      await recover(this.store, this.hcs, key);
      const journal = new OperationJournal(
        this.store,
        this.hcs,
        journalUvm ?? lifecycleUvm ?? null,
        op,
        key,
        randomUUID(),
        progress,
      );
      return fn(journal);
    });
  }

  private commit(key: string, record: UvmRecord | HostRecord, journal: OperationJournal): void {
    record.lastOp = journal.opId;
    this.store.write(key, record);
    if (journal.hasIntent) this.store.clearIntent(intentName(key));
  }

  /** The record of a UVM this backend may change (one made by another backend is refused). */
  private loadUvm(id: string): UvmRecord {
    const record = this.store.read<UvmRecord>(uvmKey(id))?.data;
    if (!record) throw notFound(id);
    if (record.backend !== this.hcs.name) {
      throw new UvmLayersError(
        'INVALID_ARGUMENT',
        `utility VM ${id} was created with the ${record.backend} backend; use --backend ${record.backend} to change it`,
      );
    }
    return record;
  }

  private loadHost(): HostRecord {
    return this.store.read<HostRecord>(HOST_KEY)?.data ?? { containers: [] };
  }

  /** Reads a record, first finishing an operation a dead process left on it. */
  private async readUvm(id: string): Promise<UvmRecord | undefined> {
    await this.recoverIfNeeded(uvmKey(id));
    return this.store.read<UvmRecord>(uvmKey(id))?.data;
  }

  private async readHost(): Promise<HostRecord> {
    await this.recoverIfNeeded(HOST_KEY);
    return this.loadHost();
  }

  private async requireUvm(id: string): Promise<UvmRecord> {
    const record = await this.readUvm(id);
    if (!record) throw notFound(id);
    return record;
  }

  private async recoverIfNeeded(key: string): Promise<void> {
    if (!this.store.readIntent(intentName(key))) return;
    await this.store.withLock(key, () => recover(this.store, this.hcs, key));
  }
}

function notFound(id: string): UvmLayersError {
  return new UvmLayersError(
    'UVM_NOT_FOUND',
    `utility VM ${id} does not exist; see \`uvm-layers uvm list\``,
  );
}

function samePath(a: string, b: string): boolean {
  return path.resolve(a) === path.resolve(b);
}

function findContainer(
  containers: ContainerRecord[],
  request: UnmountRequest,
  where: string,
): ContainerRecord {
  const container = containers.find((c) => c.guestRoot === request.guestRoot);
  if (!container) {
    throw new UvmLayersError(
      'CONTAINER_NOT_FOUND',
      `no container is mounted at ${request.guestRoot} in ${where}; see \`uvm-layers containers\``,
    );
  }
  if (request.folders && request.folders.length > 0) {
    const ledger = [...container.layers.map((l) => l.folder), container.scratch.folder];
    const given = request.folders;
    if (given.length !== ledger.length || given.some((f, i) => !samePath(f, ledger[i] ?? ''))) {
      throw new UvmLayersError(
        'INVALID_ARGUMENT',
        `the folders given do not match the ledger for ${request.guestRoot}: it was mounted with ${ledger.join(' ')}`,
      );
    }
  }
  return container;
}
