/**
 * Serves the API table over Electron IPC: one `ipcMain.handle` per method channel, each checking
 * that the message comes from our renderer's main frame before the payload is even parsed (the
 * API host validates it). Changes and progress go only to our window.
 */
import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron';
import { API, EVENTS, METHOD_NAMES } from '../ipc/api.js';
import type { ApiHost } from '../ipc/host.js';
import { isTrustedSender, type RendererLocation } from './trust.js';

export interface IpcBridgeOptions {
  ipcMain: Pick<IpcMain, 'handle' | 'removeHandler'>;
  host: ApiHost;
  location: RendererLocation;
  /** The window's web contents, once it exists. */
  target: () => WebContents | undefined;
}

export function senderFacts(event: IpcMainInvokeEvent) {
  const frame = event.senderFrame;
  return {
    senderId: event.sender.id,
    mainFrame: frame !== null && frame === event.sender.mainFrame,
    frameUrl: frame?.url,
  };
}

/** Registers every handler; returns a function that removes them and stops the event feed. */
export function serveApiOverIpc(options: IpcBridgeOptions): () => void {
  const { ipcMain, host, location, target } = options;
  for (const name of METHOD_NAMES) {
    ipcMain.handle(API[name].channel, (event, payload: unknown) => {
      const contents = target();
      if (!isTrustedSender(senderFacts(event), contents?.id, location)) {
        throw new Error('refused: not the uvm-layers window');
      }
      return host.call(name, payload, {
        onProgress: (progress) => {
          if (!event.sender.isDestroyed()) event.sender.send(EVENTS.progress, progress);
        },
      });
    });
  }
  const stopChanges = host.onChange((change) => {
    const contents = target();
    if (contents && !contents.isDestroyed()) contents.send(EVENTS.change, change);
  });
  return () => {
    stopChanges();
    for (const name of METHOD_NAMES) ipcMain.removeHandler(API[name].channel);
  };
}
