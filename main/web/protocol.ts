/**
 * The messages `serve` and the browser bridge exchange over the WebSocket. Channels and payloads
 * are the API table's; this file only frames them.
 */
import type { InvokePayload } from '../ipc/api.js';

/** The path of the API socket; the page's own origin, with the access token as `?token=`. */
export const SOCKET_PATH = '/api';
/** The module the server adds to the page before the renderer, defining `window.uvmLayers`. */
export const BRIDGE_SCRIPT = '/bridge.js';

export type ClientMessage = { type: 'call'; id: number; channel: string; payload: InvokePayload };

export type ServerMessage =
  | { type: 'result'; id: number; result: unknown }
  | { type: 'event'; channel: string; payload: unknown };
