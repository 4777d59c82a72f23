import { describe, expect, it } from 'vitest';
import type { OperationStep } from '../../../main/engine/service-api.js';
import type { Result } from '../../../main/ipc/result.js';
import { clearFinished, createTaskStore, dismissTask, runTask, withStep } from './tasks.js';

describe('tasks', () => {
  it('records live steps by index and the final state', async () => {
    const store = createTaskStore();
    let report: ((s: OperationStep) => void) | undefined;
    let finish: (() => void) | undefined;
    const { id, done } = runTask(
      store,
      { kind: 'mount', title: 'm', uvm: 'u1', target: '/r' },
      (onProgress) => {
        report = onProgress;
        return new Promise<Result<number>>(
          (resolve) => (finish = () => resolve({ ok: true, value: 1 })),
        );
      },
    );
    report?.({ index: 1, label: 'b', status: 'running', rollback: false });
    report?.({ index: 0, label: 'a', status: 'done', rollback: false });
    report?.({ index: 1, label: 'b', status: 'done', rollback: false });
    expect(store.getState().byId[id]?.steps.map((s) => [s.label, s.status])).toEqual([
      ['a', 'done'],
      ['b', 'done'],
    ]);
    expect(store.getState().byId[id]?.status).toBe('running');
    finish?.();
    await done;
    expect(store.getState().byId[id]?.status).toBe('done');
  });

  it('keeps a failed task with its error until dismissed; clear keeps failures', async () => {
    const store = createTaskStore();
    const ok = runTask(store, { kind: 'create', title: 'c', uvm: 'u1' }, () =>
      Promise.resolve({ ok: true as const, value: null }),
    );
    const bad = runTask(store, { kind: 'mount', title: 'm', uvm: 'u1' }, () =>
      Promise.resolve({
        ok: false as const,
        error: { code: 'HCS_ERROR' as const, message: 'boom', hresult: '0x80004005' },
      }),
    );
    await Promise.all([ok.done, bad.done]);
    expect(store.getState().byId[bad.id]?.error?.hresult).toBe('0x80004005');
    clearFinished(store);
    expect(store.getState().order).toEqual([bad.id]);
    dismissTask(store, bad.id);
    expect(store.getState().order).toEqual([]);
  });

  it('withStep replaces a step in place', () => {
    const steps = withStep([], { index: 0, label: 'x', status: 'running', rollback: false });
    expect(
      withStep(steps, { index: 0, label: 'x', status: 'failed', rollback: false }),
    ).toHaveLength(1);
  });
});
