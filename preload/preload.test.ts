import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { UvmLayersApi } from '../main/ipc/api.js';
import { API, EVENTS } from '../main/ipc/api.js';

const exposed = new Map<string, unknown>();
const listeners = new Map<string, Set<(...args: unknown[]) => void>>();
const invoke = vi.fn((_channel: string, _payload: unknown): Promise<unknown> =>
  Promise.resolve({ ok: true, value: [] }),
);

vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (key: string, value: unknown) => exposed.set(key, value) },
  ipcRenderer: {
    invoke: (channel: string, payload: unknown) => invoke(channel, payload),
    on: (channel: string, fn: (...args: unknown[]) => void) => {
      const set = listeners.get(channel) ?? new Set();
      listeners.set(channel, set);
      set.add(fn);
    },
    removeListener: (channel: string, fn: (...args: unknown[]) => void) =>
      listeners.get(channel)?.delete(fn),
  },
}));

describe('preload', () => {
  beforeEach(async () => {
    vi.resetModules();
    exposed.clear();
    listeners.clear();
    invoke.mockClear();
    await import('./index.js');
  });

  const api = (): UvmLayersApi => exposed.get('uvmLayers') as UvmLayersApi;

  it('exposes exactly one frozen object with the table methods and onChange', () => {
    expect([...exposed.keys()]).toEqual(['uvmLayers']);
    expect(Object.isFrozen(api())).toBe(true);
    expect(Object.keys(api()).sort()).toEqual([...Object.keys(API), 'onChange'].sort());
  });

  it('invokes the method channel with the arguments', async () => {
    expect(await api().listUvms()).toEqual({ ok: true, value: [] });
    expect(invoke).toHaveBeenCalledWith('uvm:list', { args: {} });
  });

  it('hands listeners the payload only, and unsubscribes', () => {
    const seen: unknown[] = [];
    const stop = api().onChange((event) => seen.push(event));
    const payload = { epoch: 'e', revision: 1, change: { kind: 'host', revision: null } };
    for (const fn of listeners.get(EVENTS.change) ?? []) fn({ sender: 'electron event' }, payload);
    expect(seen).toEqual([payload]);
    stop();
    expect(listeners.get(EVENTS.change)?.size).toBe(0);
  });
});
