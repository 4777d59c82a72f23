/**
 * The preload (sandboxed, context-isolated): exposes exactly one frozen object,
 * `window.uvmLayers`, built from the API table. Only the table's channels can be invoked or
 * listened to; listeners get the payload, never Electron's event object; subscribing returns the
 * unsubscribe function.
 */
// eslint-disable-next-line no-restricted-imports -- the one place raw ipcRenderer is wrapped
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { API, EVENTS, METHOD_NAMES } from '../main/ipc/api.js';
import { createApiClient } from '../main/ipc/client.js';

const INVOKE_CHANNELS = new Set<string>(METHOD_NAMES.map((name) => API[name].channel));
const EVENT_CHANNELS = new Set<string>(Object.values(EVENTS));

const api = createApiClient({
  invoke(channel, payload) {
    if (!INVOKE_CHANNELS.has(channel))
      return Promise.reject(new Error(`no such channel ${channel}`));
    return ipcRenderer.invoke(channel, payload) as Promise<unknown>;
  },
  on(channel, listener) {
    if (!EVENT_CHANNELS.has(channel)) throw new Error(`no such event ${channel}`);
    const strip = (_event: IpcRendererEvent, payload: unknown): void => listener(payload);
    ipcRenderer.on(channel, strip);
    return () => {
      ipcRenderer.removeListener(channel, strip);
    };
  },
});

contextBridge.exposeInMainWorld('uvmLayers', Object.freeze(api));
