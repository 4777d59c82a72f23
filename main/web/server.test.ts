import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { EVENTS, type ChangeEvent } from '../ipc/api.js';
import { MemoryLayerService } from '../ipc/testing/memory-service.js';
import type { ServerMessage } from './protocol.js';
import { startWebServer, type WebServer } from './server.js';

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

function get(
  server: WebServer,
  urlPath: string,
  headers: Record<string, string> = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port: server.port,
        path: urlPath,
        headers: { Host: `127.0.0.1:${server.port}`, ...headers },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Opens the API socket; resolves with the socket or the HTTP status it was refused with. */
function connect(
  server: WebServer,
  query: string,
  origin: string | undefined,
): Promise<WebSocket | number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(
      `ws://127.0.0.1:${server.port}/api${query}`,
      origin === undefined ? {} : { origin },
    );
    ws.on('open', () => resolve(ws));
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('error', () => resolve(-1));
  });
}

function call(
  ws: WebSocket,
  id: number,
  channel: string,
  args: unknown,
  taskId?: string,
): Promise<{ result: unknown; events: ServerMessage[] }> {
  const events: ServerMessage[] = [];
  return new Promise((resolve) => {
    const onMessage = (data: WebSocket.RawData): void => {
      const message = JSON.parse((data as Buffer).toString()) as ServerMessage;
      if (message.type === 'result' && message.id === id) {
        ws.off('message', onMessage);
        resolve({ result: message.result, events });
      } else events.push(message);
    };
    ws.on('message', onMessage);
    ws.send(
      JSON.stringify({
        type: 'call',
        id,
        channel,
        payload: { args, ...(taskId ? { taskId } : {}) },
      }),
    );
  });
}

describe('serve', () => {
  let dir: string;
  let service: MemoryLayerService;
  let server: WebServer;
  const origin = (): string => `http://127.0.0.1:${server.port}`;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'uvm-layers-web-'));
    await mkdir(path.join(dir, 'assets'));
    await writeFile(
      path.join(dir, 'index.html'),
      '<!doctype html><html><head><script type="module" src="/assets/app.js"></script></head><body></body></html>',
    );
    await writeFile(path.join(dir, 'assets', 'app.js'), 'console.log(1)');
    await writeFile(path.join(dir, 'bridge.js'), '// bridge');
    await writeFile(path.join(tmpdir(), 'outside.js'), 'secret');
    service = new MemoryLayerService();
    server = await startWebServer(service, { rendererDir: dir, version: 't' });
  });
  afterEach(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('prints a loopback URL with a long random token', () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/?token=${server.token}`);
    expect(server.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('refuses the page without the token (401) and with a wrong one (403)', async () => {
    expect((await get(server, '/')).status).toBe(401);
    expect((await get(server, '/?token=nope')).status).toBe(403);
    expect((await get(server, '/assets/app.js')).status).toBe(401);
  });

  it('serves the page with the token, adds the bridge first, sets CSP and a port-scoped cookie', async () => {
    const page = await get(server, `/?token=${server.token}`);
    expect(page.status).toBe(200);
    expect(page.body.indexOf('/bridge.js')).toBeGreaterThan(0);
    expect(page.body.indexOf('/bridge.js')).toBeLessThan(page.body.indexOf('/assets/app.js'));
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['content-security-policy']).toContain(
      `connect-src ws://127.0.0.1:${server.port}`,
    );
    expect(page.headers['x-frame-options']).toBe('DENY');
    const cookie = page.headers['set-cookie']?.[0] ?? '';
    expect(cookie).toMatch(
      new RegExp(`^uvm_layers_${server.port}=${server.token};.*HttpOnly; SameSite=Strict`),
    );
    const asset = await get(server, '/assets/app.js', { Cookie: cookie.split(';')[0] ?? '' });
    expect(asset.status).toBe(200);
    expect(asset.headers['content-type']).toBe('text/javascript; charset=utf-8');
  });

  it('refuses a foreign Host, Origin or cross-site fetch even with the token', async () => {
    const q = `/?token=${server.token}`;
    expect((await get(server, q, { Host: `evil.example:${server.port}` })).status).toBe(403);
    expect((await get(server, q, { Origin: 'http://evil.example' })).status).toBe(403);
    expect((await get(server, q, { Origin: `http://127.0.0.1:${server.port + 1}` })).status).toBe(
      403,
    );
    expect((await get(server, q, { 'Sec-Fetch-Site': 'cross-site' })).status).toBe(403);
    expect((await get(server, q, { Origin: origin() })).status).toBe(200);
  });

  it('serves nothing outside the renderer folder and only GET/HEAD', async () => {
    const t = `?token=${server.token}`;
    expect((await get(server, `/%2e%2e/outside.js${t}`)).status).toBe(404);
    expect((await get(server, `/..%2foutside.js${t}`)).status).toBe(404);
    expect((await get(server, `/missing.js${t}`)).status).toBe(404);
  });

  it('refuses the socket without the token, with a wrong one, or from a foreign or missing Origin', async () => {
    expect(await connect(server, '', origin())).toBe(401);
    expect(await connect(server, '?token=wrong', origin())).toBe(403);
    expect(await connect(server, `?token=${server.token}`, 'http://evil.example')).toBe(403);
    expect(await connect(server, `?token=${server.token}`, undefined)).toBe(403);
  });

  it('answers API calls over the socket with envelopes, progress and change events', async () => {
    const ws = await connect(server, `?token=${server.token}`, origin());
    if (typeof ws === 'number') throw new Error(`socket refused: ${ws}`);
    const created = await call(ws, 1, 'uvm:create', { id: 'u1', os: 'linux' }, 'task-1');
    expect(created.result).toMatchObject({ ok: true, value: { id: 'u1' } });
    const progress = created.events.filter(
      (e) => e.type === 'event' && e.channel === EVENTS.progress,
    );
    expect(progress.length).toBeGreaterThan(0);
    expect(progress[0]).toMatchObject({
      payload: { taskId: 'task-1', step: { index: 0, status: 'running' } },
    });
    const changes = created.events.filter((e) => e.type === 'event' && e.channel === EVENTS.change);
    expect(changes.length).toBeGreaterThan(0);
    expect((await call(ws, 2, 'uvm:list', {})).result).toMatchObject({
      ok: true,
      value: [{ id: 'u1' }],
    });
    expect((await call(ws, 3, 'uvm:show', { id: 5 })).result).toMatchObject({
      ok: false,
      error: { code: 'INVALID_ARGUMENT' },
    });
    expect((await call(ws, 4, 'fs:read', {})).result).toMatchObject({
      ok: false,
      error: { code: 'INVALID_ARGUMENT' },
    });

    const next = new Promise<ChangeEvent>((resolve) =>
      ws.once('message', (data) =>
        resolve((JSON.parse((data as Buffer).toString()) as { payload: ChangeEvent }).payload),
      ),
    );
    service.mutate('u1', (v) => (v.state = 'Paused'));
    expect((await next).change).toEqual({ kind: 'uvm', id: 'u1', revision: 2 });
    ws.close();
  });

  it('closes the socket on a message that is not a call', async () => {
    const ws = await connect(server, `?token=${server.token}`, origin());
    if (typeof ws === 'number') throw new Error(`socket refused: ${ws}`);
    const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
    ws.send('{"type":"eval","code":"1"}');
    expect(await closed).toBe(1008);
  });

  it('stops listening on close', async () => {
    const port = server.port;
    await server.close();
    await expect(fetch(`http://127.0.0.1:${port}/`)).rejects.toThrow();
  });
});
