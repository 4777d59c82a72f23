import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { QmpClient } from './qmp-client.js';
import { FakeQmp } from './testing/fake-qmp.js';

let dir: string;
let socketPath: string;
const cleanups: (() => Promise<void> | void)[] = [];

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uvm-qmp-'));
  socketPath = path.join(dir, 'qmp.sock');
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function fake(): Promise<FakeQmp> {
  const qmp = await FakeQmp.start(socketPath, {
    rootPorts: ['rp1'],
    deviceMemory: { base: 4 * 1024 ** 3, size: 1024 ** 3 },
  });
  cleanups.push(() => qmp.stop());
  return qmp;
}

async function connect(timeoutMs = 2000): Promise<QmpClient> {
  const client = await QmpClient.connect(socketPath, { timeoutMs, commandTimeoutMs: 1000 });
  cleanups.push(() => client.close());
  return client;
}

/** A raw server that runs `onConnection` for each client, for protocol edge cases. */
async function rawServer(onConnection: (socket: net.Socket) => void): Promise<void> {
  const server = net.createServer((socket) => {
    socket.on('error', () => undefined);
    onConnection(socket);
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
}

const greeting = `${JSON.stringify({ QMP: { version: { qemu: { major: 7, minor: 2, micro: 0 }, package: '' }, capabilities: [] } })}\r\n`;

describe('QmpClient', () => {
  it('reads the greeting, negotiates capabilities and matches replies by id', async () => {
    const qmp = await fake();
    const client = await connect();
    expect(client.greeting?.version.qemu.major).toBe(7);
    const [a, b] = await Promise.all([
      client.execute('query-status'),
      client.execute('query-memory-devices'),
    ]);
    expect(a).toEqual({ ok: true, value: { status: 'running', running: true } });
    expect(b).toEqual({ ok: true, value: [] });
    expect(qmp.calls.map((c) => c.execute)).toEqual([
      'qmp_capabilities',
      'query-status',
      'query-memory-devices',
    ]);
  });

  it('returns a refused command as a value carrying the QMP class and desc', async () => {
    await fake();
    const client = await connect();
    const result = await client.execute('device_del', { id: 'nope' });
    expect(result).toEqual({
      ok: false,
      error: { class: 'DeviceNotFound', desc: "Device 'nope' not found" },
    });
    // The connection is still usable after a refusal.
    expect((await client.execute('query-status')).ok).toBe(true);
  });

  it('waits for an event, and finds one that arrived before the wait began', async () => {
    const qmp = await fake();
    const file = path.join(dir, 'disk.img');
    fs.writeFileSync(file, Buffer.alloc(4096));
    const client = await connect();
    await client.execute('blockdev-add', { 'node-name': 'f', driver: 'file', filename: file });
    await client.execute('blockdev-add', { 'node-name': 'd', driver: 'raw', file: 'f' });
    await client.execute('device_add', {
      driver: 'scsi-hd',
      id: 'd1',
      drive: 'd',
      'scsi-id': 0,
      lun: 1,
    });
    await client.execute('device_add', {
      driver: 'scsi-hd',
      id: 'd2',
      drive: 'f',
      'scsi-id': 0,
      lun: 2,
    });
    expect((await client.execute('device_del', { id: 'd1' })).ok).toBe(true);
    expect((await client.execute('device_del', { id: 'd2' })).ok).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 50));
    // Both events are buffered now; each wait takes its own.
    const second = await client.waitForEvent('DEVICE_DELETED', (d) => d['device'] === 'd2', 1000);
    const first = await client.waitForEvent('DEVICE_DELETED', (d) => d['device'] === 'd1', 1000);
    expect([first.data['device'], second.data['device']]).toEqual(['d1', 'd2']);
    expect(client.events).toEqual([]);
    expect(qmp.devices.size).toBe(0);
  });

  it('times out a wait for an event that never comes', async () => {
    await fake();
    const client = await connect();
    await expect(client.waitForEvent('DEVICE_DELETED', () => true, 50)).rejects.toMatchObject({
      code: 'TIMEOUT',
    });
  });

  it('rejects pending commands when QEMU closes the connection', async () => {
    await rawServer((socket) => {
      socket.write(greeting);
      socket.on('data', (chunk) => {
        const line = chunk.toString();
        if (line.includes('qmp_capabilities')) {
          const { id } = JSON.parse(line) as { id: number };
          socket.write(`${JSON.stringify({ return: {}, id })}\r\n`);
        } else {
          socket.destroy();
        }
      });
    });
    const client = await connect();
    await expect(client.execute('quit')).rejects.toMatchObject({
      code: 'BACKEND_UNAVAILABLE',
      message: expect.stringContaining('during quit') as unknown,
    });
    await expect(client.execute('query-status')).rejects.toMatchObject({
      code: 'BACKEND_UNAVAILABLE',
    });
  });

  it('answers the oldest command when QEMU replies without an id (it could not parse the line)', async () => {
    await rawServer((socket) => {
      socket.write(greeting);
      socket.on('data', (chunk) => {
        for (const line of chunk.toString().split('\n').filter(Boolean)) {
          const { id, execute } = JSON.parse(line) as { id: number; execute: string };
          socket.write(
            execute === 'qmp_capabilities'
              ? `${JSON.stringify({ return: {}, id })}\r\n`
              : `${JSON.stringify({ error: { class: 'GenericError', desc: 'JSON parse error' } })}\r\n`,
          );
        }
      });
    });
    const client = await connect();
    expect(await client.execute('x')).toEqual({
      ok: false,
      error: { class: 'GenericError', desc: 'JSON parse error' },
    });
  });

  it('times out a command QEMU does not answer', async () => {
    await rawServer((socket) => {
      socket.write(greeting);
      socket.on('data', (chunk) => {
        const { id, execute } = JSON.parse(chunk.toString()) as { id: number; execute: string };
        if (execute === 'qmp_capabilities')
          socket.write(`${JSON.stringify({ return: {}, id })}\r\n`);
      });
    });
    const client = await connect();
    await expect(client.execute('query-status', undefined, 50)).rejects.toMatchObject({
      code: 'TIMEOUT',
      message: expect.stringContaining('query-status') as unknown,
    });
  });

  it('waits for the socket to appear, and gives up with TIMEOUT when nobody listens', async () => {
    const late = setTimeout(() => void fake(), 150);
    cleanups.push(() => clearTimeout(late));
    const client = await connect(3000);
    expect((await client.execute('query-status')).ok).toBe(true);
    await expect(
      QmpClient.connect(path.join(dir, 'absent.sock'), { timeoutMs: 100 }),
    ).rejects.toMatchObject({ code: 'TIMEOUT' });
  });

  it('times out when another client holds the socket and no greeting comes', async () => {
    await rawServer((socket) => socket.resume());
    await expect(QmpClient.connect(socketPath, { timeoutMs: 100 })).rejects.toMatchObject({
      code: 'TIMEOUT',
      message: expect.stringContaining('another client') as unknown,
    });
  });

  it('fails the connection on a line that is not JSON', async () => {
    await rawServer((socket) => socket.write('garbage\r\n'));
    await expect(QmpClient.connect(socketPath, { timeoutMs: 500 })).rejects.toMatchObject({
      code: 'BACKEND_UNAVAILABLE',
    });
  });
});
