/**
 * The browser side of `serve`: defines `window.uvmLayers` over the API WebSocket, exactly as the
 * Electron preload defines it over IPC, so the renderer runs unchanged. Loaded by the page before
 * the renderer. The token comes from the URL once, then from session storage (so a reload works)
 * and is taken out of the address bar.
 */
import type { ChangeEvent, InvokePayload } from '../ipc/api.js';
import { EVENTS } from '../ipc/api.js';
import { createApiClient, type ApiTransport } from '../ipc/client.js';
import { fail } from '../ipc/result.js';
import { SOCKET_PATH, type ClientMessage, type ServerMessage } from './protocol.js';

const TOKEN_KEY = 'uvm-layers-token';

function takeToken(): string {
  const url = new URL(window.location.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl) {
    sessionStorage.setItem(TOKEN_KEY, fromUrl);
    url.searchParams.delete('token');
    window.history.replaceState(null, '', url.pathname + url.search + url.hash);
    return fromUrl;
  }
  return sessionStorage.getItem(TOKEN_KEY) ?? '';
}

interface Pending {
  resolve: (value: unknown) => void;
}

/** A WebSocket transport that queues calls while (re)connecting and fails them if the link drops. */
class SocketTransport implements ApiTransport {
  private socket: WebSocket | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly outbox: string[] = [];
  private readonly listeners = new Map<string, Set<(payload: unknown) => void>>();
  private retryMs = 250;
  private connectedOnce = false;

  constructor(private readonly url: string) {
    this.connect();
  }

  invoke(channel: string, payload: InvokePayload): Promise<unknown> {
    const id = this.nextId++;
    const message: ClientMessage = { type: 'call', id, channel, payload };
    return new Promise((resolve) => {
      this.pending.set(id, { resolve });
      const text = JSON.stringify(message);
      if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(text);
      else this.outbox.push(text);
    });
  }

  on(channel: string, listener: (payload: unknown) => void): () => void {
    const set = this.listeners.get(channel) ?? new Set();
    this.listeners.set(channel, set);
    set.add(listener);
    return () => set.delete(listener);
  }

  private emit(channel: string, payload: unknown): void {
    for (const listener of [...(this.listeners.get(channel) ?? [])]) listener(payload);
  }

  private connect(): void {
    const socket = new WebSocket(this.url);
    this.socket = socket;
    socket.addEventListener('open', () => {
      this.retryMs = 250;
      for (const text of this.outbox.splice(0)) socket.send(text);
      if (this.connectedOnce) {
        // Events may have been missed while disconnected: an event from no known epoch makes
        // every replica see a gap and refetch its snapshot.
        const resync: ChangeEvent = {
          epoch: '',
          revision: 0,
          change: { kind: 'host', revision: null },
        };
        this.emit(EVENTS.change, resync);
      }
      this.connectedOnce = true;
      document.documentElement.dataset.connection = 'live';
    });
    socket.addEventListener('message', (event: MessageEvent<string>) => {
      const message = JSON.parse(event.data) as ServerMessage;
      if (message.type === 'result') {
        this.pending.get(message.id)?.resolve(message.result);
        this.pending.delete(message.id);
      } else {
        this.emit(message.channel, message.payload);
      }
    });
    socket.addEventListener('close', () => {
      document.documentElement.dataset.connection = 'lost';
      for (const [id, call] of this.pending) {
        call.resolve(fail({ code: 'INTERNAL', message: 'connection to uvm-layers serve lost' }));
        this.pending.delete(id);
      }
      setTimeout(() => this.connect(), this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, 5000);
    });
  }
}

const socketUrl = `ws://${window.location.host}${SOCKET_PATH}?token=${encodeURIComponent(takeToken())}`;
Object.defineProperty(window, 'uvmLayers', {
  value: Object.freeze(createApiClient(new SocketTransport(socketUrl))),
  writable: false,
  configurable: false,
  enumerable: true,
});
