/**
 * `uvm-layers serve`: the desktop app's UI and API for a browser, on loopback only. The page and
 * its assets, and the API WebSocket, all require the random token printed in the URL; requests
 * naming a foreign Host or Origin are refused. The renderer is the same build the desktop app
 * loads; a bridge script gives it the same `window.uvmLayers` over the socket.
 *
 * The caller owns the service: `close()` stops serving but does not close it.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { LayerService } from '../engine/service-api.js';
import { createApiHost } from '../ipc/host.js';
import { checkAccess, cookieName } from './access.js';
import { SOCKET_PATH } from './protocol.js';
import { attachSession } from './socket-session.js';
import { loadStatic } from './static-files.js';

export interface WebServerOptions {
  /** 0 or absent: a random free port. */
  port?: number;
  /** The built renderer (electron-vite's `out/renderer`). */
  rendererDir: string;
  /** Shown by the app's "about" line; defaults to the package version when run through npm. */
  version?: string;
}

export interface WebServer {
  /** The URL to open, token included. */
  url: string;
  token: string;
  port: number;
  close(): Promise<void>;
}

const LOOPBACK = '127.0.0.1';
/** Large enough for any request the UI sends (paths, ids); results only flow the other way. */
const MAX_MESSAGE_BYTES = 1024 * 1024;

function securityHeaders(port: number): Record<string, string> {
  const socket = `ws://${LOOPBACK}:${port} ws://localhost:${port}`;
  return {
    'Content-Security-Policy':
      `default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; ` +
      `connect-src ${socket}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Cache-Control': 'no-store',
  };
}

function refuse(response: ServerResponse, status: number, reason: string): void {
  response.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Cache-Control': 'no-store',
  });
  const hint =
    status === 401 ? ' — open the URL printed by `uvm-layers serve`, including its ?token=' : '';
  response.end(`uvm-layers: ${reason}${hint}\n`);
}

function refuseUpgrade(socket: Duplex, status: number, reason: string): void {
  const text = status === 401 ? 'Unauthorized' : status === 404 ? 'Not Found' : 'Forbidden';
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\n${reason}\n`,
  );
}

export async function startWebServer(
  service: LayerService,
  options: WebServerOptions,
): Promise<WebServer> {
  const token = randomBytes(32).toString('base64url');
  const host = createApiHost(service, {
    host: 'web',
    version: options.version ?? process.env.npm_package_version ?? 'dev',
  });
  const sockets = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  sockets.on('connection', (socket) => attachSession(socket, host));
  let port = options.port ?? 0;

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const access = checkAccess(request, { port, token, requireOrigin: false });
    if (!access.allowed) return refuse(response, access.status, access.reason);
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { Allow: 'GET, HEAD' });
      response.end();
      return;
    }
    const url = new URL(request.url ?? '/', `http://${LOOPBACK}:${port}`);
    const file = await loadStatic(options.rendererDir, url.pathname);
    if (!file) return refuse(response, 404, `not found: ${url.pathname}`);
    const headers: Record<string, string> = {
      ...securityHeaders(port),
      'Content-Type': file.contentType,
    };
    if (access.viaQuery) {
      // Later asset requests carry no query: the cookie, scoped to this port, authenticates them.
      headers['Set-Cookie'] = `${cookieName(port)}=${token}; Path=/; HttpOnly; SameSite=Strict`;
    }
    response.writeHead(200, headers);
    response.end(request.method === 'HEAD' ? undefined : file.body);
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent)
        refuse(response, 500, error instanceof Error ? error.message : String(error));
      else response.destroy();
    });
  });
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const access = checkAccess(request, { port, token, requireOrigin: true });
    if (!access.allowed) return refuseUpgrade(socket, access.status, access.reason);
    const pathname = new URL(request.url ?? '/', `http://${LOOPBACK}:${port}`).pathname;
    if (pathname !== SOCKET_PATH) return refuseUpgrade(socket, 404, 'no such socket');
    sockets.handleUpgrade(request, socket, head, (ws) => sockets.emit('connection', ws, request));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, LOOPBACK, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string')
    throw new Error('web server has no TCP address');
  port = address.port;

  let closing: Promise<void> | undefined;
  return {
    url: `http://${LOOPBACK}:${port}/?token=${token}`,
    token,
    port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        host.close();
        for (const client of sockets.clients) client.terminate();
        sockets.close();
        server.closeAllConnections();
        server.close(() => resolve());
      });
      return closing;
    },
  };
}
