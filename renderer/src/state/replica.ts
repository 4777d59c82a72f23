/**
 * The renderer's replica of the service state: hydrated from a snapshot, kept current by numbered
 * change events (see ./sync.ts). Everything is indexed by key and merged with structural sharing,
 * so a refetch that changes one device hands a new object to that device's row only, and narrow
 * selectors re-render that row alone.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { ErrorJson } from '../../../main/engine/errors.js';
import type {
  ContainerView,
  LogEntry,
  ReservedView,
  ScsiView,
  UvmSummary,
  UvmView,
  VerifyReport,
  VpmemView,
  VsmbView,
} from '../../../main/engine/views.js';
import type { AppInfo } from '../../../main/ipc/api.js';
import { jsonEqual, sameArray } from './equal.js';

export interface Keyed<T> {
  keys: string[];
  byKey: Record<string, T>;
}

export interface IndexedView {
  view: UvmView;
  /** By `C:L`. */
  scsi: Keyed<ScsiView>;
  reserved: Keyed<ReservedView>;
  /** By device number. */
  vpmem: Keyed<VpmemView>;
  /** By share name. */
  vsmb: Keyed<VsmbView>;
}

/** The last read-back of a UVM (qemu backend): what QEMU and the guest really hold. */
export interface VerifyState {
  /** null: the backend cannot read its VM back. */
  report: VerifyReport | null;
  /** Why the last read-back failed; the previous report stays. */
  error: ErrorJson | null;
  checking: boolean;
  /** When the last read-back answered (ISO time). */
  checkedAt: string | null;
}

export interface ReplicaState {
  phase: 'loading' | 'ready' | 'failed';
  loadError: ErrorJson | null;
  info: AppInfo | null;
  epoch: string;
  revision: number;
  uvms: Keyed<UvmSummary>;
  views: Record<string, IndexedView>;
  /** Why a view could not be loaded (for example, the UVM was removed by another process). */
  viewErrors: Record<string, ErrorJson>;
  /** Containers by UVM id. */
  containers: Record<string, Keyed<ContainerView>>;
  /** Read-backs by UVM id (qemu backend, watched UVMs only). */
  verify: Record<string, VerifyState>;
  /** Ascending by seq, at most LOG_LIMIT entries. */
  log: LogEntry[];
  /** When the last change event arrived (performance.now()); shown in the status bar. */
  lastChangeAt: number | null;
}

export type ReplicaStore = StoreApi<ReplicaState>;

export const LOG_LIMIT = 5000;

export function createReplicaStore(): ReplicaStore {
  return createStore<ReplicaState>(() => ({
    phase: 'loading',
    loadError: null,
    info: null,
    epoch: '',
    revision: 0,
    uvms: { keys: [], byKey: {} },
    views: {},
    viewErrors: {},
    containers: {},
    verify: {},
    log: [],
    lastChangeAt: null,
  }));
}

/** Indexes items by key, keeping the previous objects (and arrays) wherever nothing changed. */
export function mergeKeyed<T>(
  prev: Keyed<T> | undefined,
  items: readonly T[],
  keyOf: (item: T) => string,
): Keyed<T> {
  const byKey: Record<string, T> = {};
  const keys: string[] = [];
  let changed = !prev;
  for (const item of items) {
    const key = keyOf(item);
    const old = prev?.byKey[key];
    if (old !== undefined && jsonEqual(old, item)) {
      byKey[key] = old;
    } else {
      byKey[key] = item;
      changed = true;
    }
    keys.push(key);
  }
  const sameKeys = sameArray(prev?.keys, keys);
  if (prev && !changed && sameKeys === prev.keys) return prev;
  return { keys: sameKeys, byKey };
}

export const slotKey = (x: { controller: number; lun: number }): string =>
  `${x.controller}:${x.lun}`;

/** Indexes a freshly fetched view against the previous one; returns the previous if equal. */
export function mergeView(prev: IndexedView | undefined, next: UvmView): IndexedView {
  const scsi = mergeKeyed(prev?.scsi, next.scsi, slotKey);
  const reserved = mergeKeyed(prev?.reserved, next.reserved, slotKey);
  const vpmem = mergeKeyed(prev?.vpmem, next.vpmem, (d) => String(d.device));
  const vsmb = mergeKeyed(prev?.vsmb, next.vsmb, (s) => s.name);
  if (
    prev &&
    scsi === prev.scsi &&
    reserved === prev.reserved &&
    vpmem === prev.vpmem &&
    vsmb === prev.vsmb &&
    jsonEqual(
      { ...prev.view, scsi: 0, reserved: 0, vpmem: 0, vsmb: 0 },
      { ...next, scsi: 0, reserved: 0, vpmem: 0, vsmb: 0 },
    )
  ) {
    return prev;
  }
  const view: UvmView = {
    ...next,
    scsi: scsi.keys.map((k) => scsi.byKey[k] as ScsiView),
    reserved: reserved.keys.map((k) => reserved.byKey[k] as ReservedView),
    vpmem: vpmem.keys.map((k) => vpmem.byKey[k] as VpmemView),
    vsmb: vsmb.keys.map((k) => vsmb.byKey[k] as VsmbView),
  };
  return { view, scsi, reserved, vpmem, vsmb };
}

/** Merges newly fetched log entries (any order, possibly overlapping) into the ascending log. */
export function mergeLog(prev: LogEntry[], fetched: readonly LogEntry[]): LogEntry[] {
  if (fetched.length === 0) return prev;
  const last = prev.at(-1)?.seq ?? -Infinity;
  const fresh = fetched.filter((e) => e.seq > last).sort((a, b) => a.seq - b.seq);
  const older = fetched.filter((e) => e.seq <= last);
  let merged = prev;
  if (older.length > 0) {
    // Entries before our newest one: only possible after a resync; rebuild by seq.
    const bySeq = new Map(prev.map((e) => [e.seq, e]));
    for (const e of older) if (!bySeq.has(e.seq)) bySeq.set(e.seq, e);
    if (bySeq.size !== prev.length) merged = [...bySeq.values()].sort((a, b) => a.seq - b.seq);
  }
  if (fresh.length > 0) merged = [...merged, ...fresh];
  return merged.length > LOG_LIMIT ? merged.slice(merged.length - LOG_LIMIT) : merged;
}
