/**
 * Long operations (create, remove, mount, unmount) as tasks: live steps, final state and the
 * error, kept after the dialog that started them closes, so the status bar can list them and the
 * error stays next to the row it is about until dismissed.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { ErrorJson } from '../../../main/engine/errors.js';
import type { OperationStep } from '../../../main/engine/service-api.js';
import type { ProgressCallback } from '../../../main/ipc/api.js';
import type { Result } from '../../../main/ipc/result.js';

export type TaskKind = 'create' | 'remove' | 'mount' | 'unmount';

export interface Task {
  id: string;
  kind: TaskKind;
  title: string;
  uvm: string | null;
  /** The guest root for mount/unmount. */
  target: string | null;
  steps: OperationStep[];
  status: 'running' | 'done' | 'failed';
  error: ErrorJson | null;
  startedAt: number;
  endedAt: number | null;
}

export interface TaskState {
  order: string[];
  byId: Record<string, Task>;
}

export type TaskStore = StoreApi<TaskState>;

export function createTaskStore(): TaskStore {
  return createStore<TaskState>(() => ({ order: [], byId: {} }));
}

let counter = 0;

function update(store: TaskStore, id: string, change: (task: Task) => Task): void {
  store.setState((s) => {
    const task = s.byId[id];
    return task ? { byId: { ...s.byId, [id]: change(task) } } : s;
  });
}

/** Upserts a step by index, keeping the list in index order. */
export function withStep(steps: readonly OperationStep[], step: OperationStep): OperationStep[] {
  const at = steps.findIndex((s) => s.index === step.index);
  if (at >= 0) return steps.map((s, i) => (i === at ? step : s));
  return [...steps, step].sort((a, b) => a.index - b.index);
}

export interface TaskSpec {
  kind: TaskKind;
  title: string;
  uvm: string | null;
  target?: string | null;
}

/** Starts a task; returns its id at once and the operation's result when it ends. */
export function runTask<T>(
  store: TaskStore,
  spec: TaskSpec,
  operation: (onProgress: ProgressCallback) => Promise<Result<T>>,
): { id: string; done: Promise<Result<T>> } {
  counter += 1;
  const id = `task-${counter}`;
  const task: Task = {
    id,
    kind: spec.kind,
    title: spec.title,
    uvm: spec.uvm,
    target: spec.target ?? null,
    steps: [],
    status: 'running',
    error: null,
    startedAt: Date.now(),
    endedAt: null,
  };
  store.setState((s) => ({ order: [id, ...s.order], byId: { ...s.byId, [id]: task } }));
  const done = operation((step) =>
    update(store, id, (t) => ({ ...t, steps: withStep(t.steps, step) })),
  ).then((result) => {
    update(store, id, (t) => ({
      ...t,
      status: result.ok ? 'done' : 'failed',
      error: result.ok ? null : result.error,
      endedAt: Date.now(),
    }));
    return result;
  });
  return { id, done };
}

export function dismissTask(store: TaskStore, id: string): void {
  store.setState((s) => {
    if (!s.byId[id]) return s;
    const { [id]: _gone, ...byId } = s.byId;
    return { order: s.order.filter((x) => x !== id), byId };
  });
}

/** Drops finished tasks that succeeded; failed ones stay until dismissed. */
export function clearFinished(store: TaskStore): void {
  store.setState((s) => {
    const order = s.order.filter((id) => s.byId[id]?.status !== 'done');
    const byId: Record<string, Task> = {};
    for (const id of order) byId[id] = s.byId[id] as Task;
    return { order, byId };
  });
}
