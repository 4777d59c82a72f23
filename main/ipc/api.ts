/**
 * The one definition of the uvm-layers API: every method's channel, argument schema, result type
 * and whether it reports live progress, plus the pushed event channels. The Electron IPC host, the
 * preload, the `serve` WebSocket host, the browser bridge, the renderer and the tests all derive
 * from this table; no channel string is written anywhere else.
 */
import type { BackendName } from '../hcs/backend.js';
import type { OperationStep, StateChange } from '../engine/service-api.js';
import type {
  ContainerView,
  FileEntryView,
  LogEntry,
  UvmSummary,
  UvmView,
  VerifyReport,
} from '../engine/views.js';
import type { Result } from './result.js';
import * as s from './schema.js';

/** Phantom marker for a method's result type (no runtime cost). */
export interface Returns<T> {
  readonly __result?: T;
}
function returns<T>(): Returns<T> {
  return {};
}

export interface MethodSpec<A, R, P extends boolean> {
  readonly channel: string;
  readonly args: s.Schema<A>;
  readonly result: Returns<R>;
  /** Long operations: the host streams `OperationStep`s to the caller while it runs. */
  readonly progress: P;
}

function method<A, R, P extends boolean = false>(
  channel: string,
  args: s.Schema<A>,
  result: Returns<R>,
  progress?: P,
): MethodSpec<A, R, P> {
  return { channel, args, result, progress: (progress ?? false) as P };
}

// Bounds are sanity limits for the boundary; the engine applies the real HCS rules and messages.
const id = s.string({ min: 1, max: 256 });
const hostPath = s.string({ min: 1, max: 4096 });
const guestPath = s.string({ min: 1, max: 4096 });

export const createUvmArgs = s.object({
  id,
  os: s.oneOf(['linux', 'windows'] as const),
  vpmemCount: s.optional(s.int({ min: 0, max: 4096 })),
  vpmemMaxSizeBytes: s.optional(s.int({ min: 0 })),
  scsiControllers: s.optional(s.int({ min: 0, max: 64 })),
  physicallyBacked: s.optional(s.boolean()),
  vpmemMultiMapping: s.optional(s.boolean()),
  bootFilesPath: s.optional(hostPath),
  utilityVmPath: s.optional(hostPath),
});

export const mountArgs = s.object({
  uvm: s.optional(id),
  guestRoot: guestPath,
  layers: s.array(hostPath, { max: 256 }),
  scratch: hostPath,
});

export const unmountArgs = s.object({
  uvm: s.optional(id),
  guestRoot: guestPath,
  ops: s.optional(s.array(s.oneOf(['scsi', 'vsmb', 'vpmem'] as const), { max: 3 })),
  folders: s.optional(s.array(hostPath, { max: 257 })),
});

/** A mounted container's directory, relative to its rootfs (the engine refuses `..`). */
export const filesArgs = s.object({
  uvm: id,
  guestRoot: guestPath,
  path: s.optional(s.string({ max: 4096 })),
});

export const removeUvmArgs = s.object({ id, force: s.optional(s.boolean()) });

export const pickFoldersArgs = s.object({
  title: s.optional(s.string({ max: 200 })),
  multiple: s.boolean(),
});

/** Who hosts the API: the desktop app (folder dialogs available) or `serve` in a browser. */
export interface AppInfo {
  host: 'electron' | 'web';
  backend: BackendName;
  stateDir: string;
  canPickFolders: boolean;
  version: string;
}

/** The state a replica starts from; events with a higher revision of the same epoch follow. */
export interface Snapshot {
  epoch: string;
  revision: number;
  uvms: UvmSummary[];
}

export const API = {
  info: method('app:info', s.object({}), returns<AppInfo>()),
  snapshot: method('state:snapshot', s.object({}), returns<Snapshot>()),
  listUvms: method('uvm:list', s.object({}), returns<UvmSummary[]>()),
  showUvm: method('uvm:show', s.object({ id }), returns<UvmView>()),
  createUvm: method('uvm:create', createUvmArgs, returns<UvmView>(), true),
  removeUvm: method('uvm:remove', removeUvmArgs, returns<null>(), true),
  mount: method('layers:mount', mountArgs, returns<{ rootfs: string }>(), true),
  unmount: method('layers:unmount', unmountArgs, returns<null>(), true),
  containers: method(
    'containers:list',
    s.object({ uvm: s.optional(id) }),
    returns<ContainerView[]>(),
  ),
  log: method(
    'log:list',
    s.object({ uvm: s.optional(id), tail: s.optional(s.int({ min: 1, max: 1_000_000 })) }),
    returns<LogEntry[]>(),
  ),
  /** (qemu) A mounted container's merged rootfs at `path`, each entry with its origin layer. */
  files: method('files:list', filesArgs, returns<FileEntryView[]>()),
  /** (qemu) What QEMU and the guest really hold against the ledger; null on other backends. */
  verifyUvm: method('uvm:verify', s.object({ id }), returns<VerifyReport | null>()),
  pickFolders: method('dialog:pick-folders', pickFoldersArgs, returns<string[]>()),
} as const;

export type Api = typeof API;
export type MethodName = keyof Api;
export type ArgsOf<M extends MethodName> =
  Api[M] extends MethodSpec<infer A, unknown, boolean> ? A : never;
export type ResultOf<M extends MethodName> =
  Api[M] extends MethodSpec<unknown, infer R, boolean> ? R : never;
export type ProgressMethod = {
  [M in MethodName]: Api[M]['progress'] extends true ? M : never;
}[MethodName];

export const METHOD_NAMES = Object.keys(API) as MethodName[];

/** Looks a method up by name without ever touching inherited keys such as `__proto__`. */
export function methodByName(name: string): MethodName | undefined {
  return Object.hasOwn(API, name) ? (name as MethodName) : undefined;
}

const BY_CHANNEL = new Map<string, MethodName>(
  METHOD_NAMES.map((name) => [API[name].channel, name]),
);

/** The method a channel belongs to, if any. */
export function methodByChannel(channel: string): MethodName | undefined {
  return BY_CHANNEL.get(channel);
}

/** A state change, numbered: a replica that sees a revision other than last + 1 refetches. */
export interface ChangeEvent {
  epoch: string;
  revision: number;
  change: StateChange;
}

export interface ProgressEvent {
  taskId: string;
  step: OperationStep;
}

export const EVENTS = {
  change: 'state:changed',
  progress: 'task:progress',
} as const;

/** What every invoke carries: the method's arguments and, for progress methods, a task id. */
export const invokePayload = s.object({
  args: s.optional(s.unknown()),
  taskId: s.optional(s.string({ min: 1, max: 64, pattern: /^[A-Za-z0-9_-]+$/ })),
});
export interface InvokePayload {
  args?: unknown;
  taskId?: string;
}

export type ProgressCallback = (step: OperationStep) => void;

/**
 * `window.uvmLayers`, derived from the table: one function per method taking its argument
 * object (and, for long operations, a progress callback), returning the result envelope; and
 * `onChange`, whose return value unsubscribes.
 */
export type UvmLayersApi = {
  readonly [M in MethodName]: Api[M]['progress'] extends true
    ? (args: ArgsOf<M>, onProgress?: ProgressCallback) => Promise<Result<ResultOf<M>>>
    : object extends ArgsOf<M>
      ? (args?: ArgsOf<M>) => Promise<Result<ResultOf<M>>>
      : (args: ArgsOf<M>) => Promise<Result<ResultOf<M>>>;
} & {
  readonly onChange: (listener: (event: ChangeEvent) => void) => () => void;
};
