/**
 * The operations every front end (CLI, Electron main over IPC, `serve` over WebSocket) calls.
 * One implementation (`openLayerService` in ./service.ts) drives the engine, the store and a
 * backend; front ends never reach past this interface.
 */
import type { BackendName, UvmOs } from '../hcs/backend.js';
import type { ErrorJson } from './errors.js';
import type {
  ContainerView,
  FileEntryView,
  LogEntry,
  UvmSummary,
  UvmView,
  VerifyReport,
} from './views.js';

export interface CreateUvmRequest {
  id: string;
  os: UvmOs;
  vpmemCount?: number;
  vpmemMaxSizeBytes?: number;
  scsiControllers?: number;
  physicallyBacked?: boolean;
  vpmemMultiMapping?: boolean;
  bootFilesPath?: string;
  utilityVmPath?: string;
}

/** `uvm` absent means a host (Argon) mount. `layers` are read-only folders, base first. */
export interface MountRequest {
  uvm?: string;
  guestRoot: string;
  layers: string[];
  scratch: string;
}

export type UnmountOp = 'scsi' | 'vsmb' | 'vpmem';

export interface UnmountRequest {
  uvm?: string;
  guestRoot: string;
  /** Absent or empty = all. */
  ops?: UnmountOp[];
  /** When given, must equal the ledger's folders (layers then scratch). */
  folders?: string[];
}

export interface RemoveUvmRequest {
  id: string;
  force?: boolean;
}

/** One step of a running operation, reported live (the mount dialog's progress list). */
export interface OperationStep {
  index: number;
  label: string;
  status: 'running' | 'done' | 'failed';
  /** True for the steps that undo a failed operation. */
  rollback: boolean;
  error?: ErrorJson;
}

export type ProgressListener = (step: OperationStep) => void;

/** A change made by this or another process. Revisions only grow for a given key. */
export type StateChange =
  | { kind: 'uvm'; id: string; revision: number | null }
  | { kind: 'host'; revision: number | null }
  | { kind: 'log'; seq: number };

/** A mounted container's files at `path` (relative to its rootfs; default the root). */
export interface FilesRequest {
  uvm: string;
  guestRoot: string;
  path?: string;
}

export interface LogFilter {
  uvm?: string;
  tail?: number;
}

export interface LayerService {
  readonly backend: BackendName;
  readonly stateDir: string;
  listUvms(): Promise<UvmSummary[]>;
  showUvm(id: string): Promise<UvmView>;
  createUvm(request: CreateUvmRequest, progress?: ProgressListener): Promise<UvmView>;
  removeUvm(request: RemoveUvmRequest, progress?: ProgressListener): Promise<void>;
  mount(request: MountRequest, progress?: ProgressListener): Promise<{ rootfs: string }>;
  unmount(request: UnmountRequest, progress?: ProgressListener): Promise<void>;
  containers(uvm?: string): Promise<ContainerView[]>;
  log(filter?: LogFilter): Promise<LogEntry[]>;
  /** Lists a mounted container's merged root through the guest (backends with a real guest). */
  files(request: FilesRequest): Promise<FileEntryView[]>;
  /** Reads back what the backend really holds and reports what differs from the ledger; null
   * for backends that cannot read their devices back (sim: it is the ledger's own model; hcs:
   * HCS has no device listing). */
  verifyUvm(id: string): Promise<VerifyReport | null>;
  subscribe(listener: (change: StateChange) => void): () => void;
  /**
   * Releases the store and the backend. `stopUtilityVms`: also stop the VMs this backend runs as
   * processes of their own (qemu), as the desktop app does when it exits; their records stay,
   * marked Stopped. CLI calls leave them running for the next call.
   */
  close(options?: { stopUtilityVms?: boolean }): Promise<void>;
}
