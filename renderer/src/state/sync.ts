/**
 * Keeps a replica current: subscribe first, then hydrate from a snapshot, then apply numbered
 * change events. An event whose revision is not the next one (a missed event, a reconnect, a
 * restarted server) triggers a full resync. Refetches are coalesced per key: while one is in
 * flight, further events only mark it dirty, so a burst costs at most two fetches and replies
 * can never be applied out of order.
 *
 * On the qemu backend a watched UVM is also read back (`verifyUvm`: QMP and the guest agent),
 * when it is first watched, on "Check again", and once a burst of its change events has been
 * quiet for `verifyDelayMs`; never on a timer of its own.
 */
import type { ErrorJson } from '../../../main/engine/errors.js';
import type { ChangeEvent, UvmLayersApi } from '../../../main/ipc/api.js';
import type { Result } from '../../../main/ipc/result.js';
import type { UvmView, VerifyReport } from '../../../main/engine/views.js';
import { jsonEqual } from './equal.js';
import { mergeKeyed, mergeLog, mergeView, type ReplicaStore, type VerifyState } from './replica.js';

export interface Sync {
  /** Subscribes and loads the first snapshot. */
  start(): Promise<void>;
  /** Keeps one UVM's full view and containers live while watched; returns the unwatch function. */
  watchUvm(id: string): () => void;
  /** Refetches the list, the watched views and the log (after this window's own operations). */
  refresh(): void;
  /** Reads a UVM back now (qemu backend; a no-op elsewhere). */
  checkUvm(id: string): void;
  /** Resolves when no refetch is running or queued (tests, benchmarks). */
  idle(): Promise<void>;
  stop(): void;
}

const LOG_TAIL_INITIAL = 2000;
const LOG_TAIL_UPDATE = 500;

export interface SyncOptions {
  /** Quiet time after a UVM's last change event before it is read back (default 750 ms). */
  verifyDelayMs?: number;
}

const NO_VERIFY: VerifyState = { report: null, error: null, checking: false, checkedAt: null };

function mark(name: string): void {
  globalThis.performance?.mark?.(name);
}

export function createSync(
  api: UvmLayersApi,
  store: ReplicaStore,
  options: SyncOptions = {},
): Sync {
  const verifyDelayMs = options.verifyDelayMs ?? 750;
  const watched = new Map<string, number>();
  /** Pending debounced read-backs: the timer, and what `idle()` waits on. */
  const verifyTimers = new Map<
    string,
    { timer: ReturnType<typeof setTimeout>; fired: Promise<void>; fire: () => void }
  >();
  const running = new Map<string, Promise<void>>();
  const dirty = new Set<string>();
  let hydrated = false;
  let resyncing: Promise<void> | undefined;
  let buffered: ChangeEvent[] = [];
  let unsubscribe: (() => void) | undefined;
  let stopped = false;

  /** Runs `fetch` for `key` now, or once more after the running one if one is in flight. */
  function refetch(key: string, fetch: () => Promise<void>): void {
    if (stopped) return;
    if (running.has(key)) {
      dirty.add(key);
      return;
    }
    const loop = async (): Promise<void> => {
      do {
        dirty.delete(key);
        try {
          await fetch();
        } catch {
          // A failed fetch leaves the previous replica in place; the next event retries.
        }
      } while (dirty.has(key) && !stopped);
      running.delete(key);
    };
    running.set(key, loop());
  }

  const setFailed = (error: ErrorJson): void =>
    store.setState({ phase: 'failed', loadError: error });

  const fetchList = (): void =>
    refetch('list', async () => {
      const result = await api.listUvms();
      if (!result.ok) return;
      store.setState((s) => {
        const uvms = mergeKeyed(s.uvms, result.value, (u) => u.id);
        return uvms === s.uvms ? s : { uvms };
      });
    });

  const applyView = (id: string, result: Result<UvmView>): void => {
    store.setState((s) => {
      if (!result.ok) {
        const { [id]: _gone, ...views } = s.views;
        return { views, viewErrors: { ...s.viewErrors, [id]: result.error } };
      }
      const merged = mergeView(s.views[id], result.value);
      const hadError = Object.hasOwn(s.viewErrors, id);
      if (merged === s.views[id] && !hadError) return s;
      const { [id]: _cleared, ...viewErrors } = s.viewErrors;
      return {
        views: { ...s.views, [id]: merged },
        viewErrors: hadError ? viewErrors : s.viewErrors,
      };
    });
  };

  const fetchView = (id: string): void =>
    refetch(`view:${id}`, async () => {
      const result = await api.showUvm({ id });
      mark('uvm-layers:view-fetched');
      if (watched.has(id)) applyView(id, result);
    });

  const fetchContainers = (id: string): void =>
    refetch(`containers:${id}`, async () => {
      const result = await api.containers({ uvm: id });
      if (!result.ok || !watched.has(id)) return;
      store.setState((s) => {
        const merged = mergeKeyed(s.containers[id], result.value, (c) => c.guestRoot);
        return merged === s.containers[id] ? s : { containers: { ...s.containers, [id]: merged } };
      });
    });

  const canVerify = (): boolean => store.getState().info?.backend === 'qemu';

  const setVerify = (id: string, patch: Partial<VerifyState>): void =>
    store.setState((s) => ({
      verify: { ...s.verify, [id]: { ...(s.verify[id] ?? NO_VERIFY), ...patch } },
    }));

  const fetchVerify = (id: string): void => {
    cancelVerifyTimer(id);
    if (!canVerify()) return;
    refetch(`verify:${id}`, async () => {
      if (!watched.has(id)) return;
      setVerify(id, { checking: true });
      const result = await api.verifyUvm({ id });
      const checkedAt = new Date().toISOString();
      if (!result.ok) {
        setVerify(id, { checking: false, error: result.error, checkedAt });
        return;
      }
      const prev = store.getState().verify[id]?.report ?? null;
      // Structural sharing: an unchanged report keeps its object (and its parked list).
      const report: VerifyReport | null =
        prev !== null && jsonEqual(prev, result.value) ? prev : result.value;
      setVerify(id, { checking: false, error: null, report, checkedAt });
    });
  };

  function cancelVerifyTimer(id: string): void {
    const pending = verifyTimers.get(id);
    if (!pending) return;
    clearTimeout(pending.timer);
    verifyTimers.delete(id);
    pending.fire();
  }

  /** Reads back once the UVM's change events have been quiet for `verifyDelayMs`. */
  const scheduleVerify = (id: string): void => {
    if (!canVerify() || stopped) return;
    cancelVerifyTimer(id);
    let fire = (): void => undefined;
    const fired = new Promise<void>((resolve) => (fire = resolve));
    const timer = setTimeout(() => {
      verifyTimers.delete(id);
      fetchVerify(id);
      fire();
    }, verifyDelayMs);
    verifyTimers.set(id, { timer, fired, fire });
  };

  const fetchLog = (tail: number): void =>
    refetch('log', async () => {
      const result = await api.log({ tail });
      if (!result.ok) return;
      store.setState((s) => {
        const log = mergeLog(s.log, result.value);
        return log === s.log ? s : { log };
      });
    });

  function apply(event: ChangeEvent): void {
    const s = store.getState();
    if (event.epoch === s.epoch && event.revision <= s.revision) return;
    if (event.epoch !== s.epoch || event.revision !== s.revision + 1) {
      void resync();
      return;
    }
    store.setState({
      revision: event.revision,
      lastChangeAt: globalThis.performance?.now?.() ?? Date.now(),
    });
    const change = event.change;
    if (change.kind === 'uvm') {
      fetchList();
      if (watched.has(change.id)) {
        fetchView(change.id);
        fetchContainers(change.id);
        scheduleVerify(change.id);
      }
    } else if (change.kind === 'host') {
      fetchList();
    } else {
      fetchLog(LOG_TAIL_UPDATE);
    }
  }

  function onEvent(event: ChangeEvent): void {
    mark('uvm-layers:change');
    if (!hydrated || resyncing) {
      buffered.push(event);
      return;
    }
    apply(event);
  }

  function resync(): Promise<void> {
    resyncing ??= (async () => {
      try {
        const snapshot = await api.snapshot();
        if (!snapshot.ok) {
          if (!hydrated) setFailed(snapshot.error);
          return;
        }
        const { epoch, revision, uvms } = snapshot.value;
        store.setState((s) => ({
          phase: 'ready',
          loadError: null,
          epoch,
          revision,
          uvms: mergeKeyed(s.uvms, uvms, (u) => u.id),
        }));
        hydrated = true;
        for (const id of watched.keys()) {
          fetchView(id);
          fetchContainers(id);
          fetchVerify(id);
        }
        fetchLog(LOG_TAIL_INITIAL);
      } finally {
        resyncing = undefined;
        const pending = buffered;
        buffered = [];
        const { epoch } = store.getState();
        for (const event of pending) if (event.epoch === epoch) apply(event);
      }
    })();
    return resyncing;
  }

  return {
    async start() {
      unsubscribe = api.onChange(onEvent);
      const info = await api.info();
      if (info.ok) store.setState({ info: info.value });
      await resync();
    },
    watchUvm(id) {
      watched.set(id, (watched.get(id) ?? 0) + 1);
      if (watched.get(id) === 1 && hydrated) {
        fetchView(id);
        fetchContainers(id);
        fetchVerify(id);
      }
      return () => {
        const n = (watched.get(id) ?? 1) - 1;
        if (n > 0) watched.set(id, n);
        else {
          watched.delete(id);
          cancelVerifyTimer(id);
        }
      };
    },
    refresh() {
      fetchList();
      for (const id of watched.keys()) {
        fetchView(id);
        fetchContainers(id);
      }
      fetchLog(LOG_TAIL_UPDATE);
    },
    checkUvm(id) {
      fetchVerify(id);
    },
    async idle() {
      while (running.size > 0 || resyncing || verifyTimers.size > 0) {
        await Promise.all([
          ...running.values(),
          resyncing,
          ...[...verifyTimers.values()].map((t) => t.fired),
        ]);
      }
    },
    stop() {
      stopped = true;
      for (const id of [...verifyTimers.keys()]) cancelVerifyTimer(id);
      unsubscribe?.();
    },
  };
}
