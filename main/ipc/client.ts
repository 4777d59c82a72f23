/**
 * Builds `window.uvmLayers` from the API table over any transport: Electron's ipcRenderer in the
 * preload, a WebSocket in the browser bridge, an in-memory pipe in tests. The result is a plain
 * object of functions, safe to hand to `contextBridge` and to freeze.
 */
import {
  API,
  EVENTS,
  METHOD_NAMES,
  type ChangeEvent,
  type InvokePayload,
  type MethodName,
  type ProgressCallback,
  type ProgressEvent,
  type UvmLayersApi,
} from './api.js';
import { fail, type Result } from './result.js';

export interface ApiTransport {
  /** Sends one call; resolves with the host's result envelope. */
  invoke(channel: string, payload: InvokePayload): Promise<unknown>;
  /** Subscribes to a pushed event channel; returns an unsubscribe function. */
  on(channel: string, listener: (payload: unknown) => void): () => void;
}

function isResult(value: unknown): value is Result<unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as { ok?: unknown; error?: unknown };
  return v.ok === true || (v.ok === false && typeof v.error === 'object' && v.error !== null);
}

let taskCounter = 0;
function newTaskId(): string {
  taskCounter += 1;
  const random = globalThis.crypto?.randomUUID?.() ?? Math.random().toString(36).slice(2);
  return `t${taskCounter}-${random}`.replace(/[^A-Za-z0-9_-]/g, '');
}

export function createApiClient(transport: ApiTransport): UvmLayersApi {
  const progressListeners = new Map<string, ProgressCallback>();
  let stopProgress: (() => void) | undefined;

  const onProgress = (payload: unknown): void => {
    const event = payload as Partial<ProgressEvent> | null;
    if (!event || typeof event.taskId !== 'string' || typeof event.step !== 'object') return;
    progressListeners.get(event.taskId)?.(event.step);
  };

  async function call(
    name: MethodName,
    args: unknown,
    progress?: ProgressCallback,
  ): Promise<Result<unknown>> {
    const spec = API[name];
    const payload: InvokePayload = { args: args ?? {} };
    let taskId: string | undefined;
    if (spec.progress && progress) {
      taskId = newTaskId();
      payload.taskId = taskId;
      stopProgress ??= transport.on(EVENTS.progress, onProgress);
      progressListeners.set(taskId, progress);
    }
    try {
      const result = await transport.invoke(spec.channel, payload);
      if (!isResult(result))
        return fail({ code: 'INTERNAL', message: `malformed reply on ${spec.channel}` });
      return result;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return fail({ code: 'INTERNAL', message: `${spec.channel} failed: ${message}` });
    } finally {
      if (taskId !== undefined) progressListeners.delete(taskId);
    }
  }

  const api: Record<string, unknown> = {};
  for (const name of METHOD_NAMES) {
    api[name] = (args?: unknown, progress?: ProgressCallback) => call(name, args, progress);
  }
  api.onChange = (listener: (event: ChangeEvent) => void) =>
    transport.on(EVENTS.change, (payload) => listener(payload as ChangeEvent));
  return api as UvmLayersApi;
}
