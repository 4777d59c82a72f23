import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HRESULT } from '../hresult.js';
import { AgentClient } from './agent-client.js';
import { GuestAgentError } from './agent-errors.js';
import { encodeFrame, FrameDecoder, MAX_FRAME_BYTES } from './agent-frames.js';
import { FakeAgent } from './testing/fake-agent.js';
import { FakeQmp } from './testing/fake-qmp.js';

let dir: string;
let socketPath: string;
const cleanups: (() => Promise<void> | void)[] = [];

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uvm-agent-'));
  socketPath = path.join(dir, 'agent.sock');
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function fakeAgent(): Promise<FakeAgent> {
  const qmp = await FakeQmp.start(path.join(dir, 'qmp.sock'), {
    rootPorts: [],
    deviceMemory: { base: 0, size: 1 },
  });
  const agent = await FakeAgent.start(socketPath, qmp);
  cleanups.push(async () => {
    await agent.stop();
    await qmp.stop();
  });
  return agent;
}

async function connect(
  options: { timeoutMs?: number; requestTimeoutMs?: number } = {},
): Promise<AgentClient> {
  const client = await AgentClient.connect(socketPath, { timeoutMs: 2000, ...options });
  cleanups.push(() => client.close());
  return client;
}

describe('agent frames', () => {
  it('round-trips messages split at any byte', () => {
    const bytes = Buffer.concat([
      encodeFrame({ id: 1, op: 'hello' }),
      encodeFrame({ event: 'ready', version: 1 }),
    ]);
    const decoder = new FrameDecoder();
    const messages = [];
    for (const byte of bytes) messages.push(...decoder.push(Buffer.from([byte])).messages);
    expect(messages).toEqual([
      { id: 1, op: 'hello' },
      { event: 'ready', version: 1 },
    ]);
  });

  it('reports a frame that is too long or not a JSON object', () => {
    const header = Buffer.alloc(4);
    header.writeUInt32BE(MAX_FRAME_BYTES + 1);
    expect(new FrameDecoder().push(header).errors[0]).toMatch(/exceeds/);
    const body = Buffer.from('[1]');
    const frame = Buffer.concat([Buffer.from([0, 0, 0, body.length]), body]);
    expect(new FrameDecoder().push(frame).errors[0]).toMatch(/not a JSON object/);
  });
});

describe('AgentClient', () => {
  it('says hello on connect and keeps the version and uptime', async () => {
    const agent = await fakeAgent();
    const client = await connect();
    expect(client.version).toBe(1);
    expect(client.uptime).toBe(2.5);
    expect(agent.calls[0]?.op).toBe('hello');
  });

  it('sends typed operations with ids and returns their results', async () => {
    const agent = await fakeAgent();
    agent.directories.set('/x', [{ name: 'a', type: 'file', size: 3, mode: 0o644 }]);
    const client = await connect();
    const [entries, mounts] = await Promise.all([client.list('/x'), client.mounts()]);
    expect(entries).toEqual([{ name: 'a', type: 'file', size: 3, mode: 0o644 }]);
    expect(mounts.map((m) => m.target)).toEqual(['/', '/proc']);
    await client.writeFile('/x/b', Buffer.from('hello'));
    expect((await client.readFile('/x/b')).data.toString()).toBe('hello');
    expect(agent.calls.find((c) => c.op === 'write_file')?.args).toEqual({
      path: '/x/b',
      data: Buffer.from('hello').toString('base64'),
      mode: 0o644,
    });
  });

  it('maps an agent error to a GuestAgentError with the errno text and an HRESULT', async () => {
    const agent = await fakeAgent();
    const client = await connect();
    const failure = await client.unmount('/not/mounted').catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(GuestAgentError);
    expect(failure).toMatchObject({
      errnoCode: 'EINVAL',
      errno: 22,
      hresult: HRESULT.E_INVALIDARG,
      message: expect.stringContaining(
        'unmount /not/mounted: Invalid argument [EINVAL]',
      ) as unknown,
    });
    agent.failOp('list', 'EBUSY');
    await expect(client.list('/')).rejects.toMatchObject({
      hresult: HRESULT.ERROR_BUSY,
      errnoCode: 'EBUSY',
    });
  });

  it('times out one request without breaking the next', async () => {
    const agent = await fakeAgent();
    const client = await connect({ requestTimeoutMs: 100 });
    agent.delayMs = 300;
    await expect(client.mounts()).rejects.toMatchObject({ code: 'TIMEOUT' });
    agent.delayMs = 0;
    await new Promise((resolve) => setTimeout(resolve, 300));
    // The late answer to the timed-out request is ignored; this one matches by id.
    expect((await client.mounts()).length).toBe(2);
  });

  it('waits for a guest that is still booting: hello is answered once the agent runs', async () => {
    let answer: (() => void) | undefined;
    const server = net.createServer((socket) => {
      const decoder = new FrameDecoder();
      socket.on('data', (chunk: Buffer) => {
        for (const m of decoder.push(chunk).messages) {
          answer = () => {
            socket.write(encodeFrame({ event: 'ready', version: 1, uptime: 3.1 }));
            socket.write(
              encodeFrame({ id: m['id'], ok: true, result: { version: 1, uptime: 3.2 } }),
            );
          };
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    setTimeout(() => answer?.(), 150);
    const client = await connect({ timeoutMs: 2000 });
    expect(client.uptime).toBe(3.2);
  });

  it('gives up when the guest never answers hello', async () => {
    // A reader that never answers (resume: a paused socket would never see our close).
    const server = net.createServer((socket) => socket.resume());
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    await expect(AgentClient.connect(socketPath, { timeoutMs: 150 })).rejects.toMatchObject({
      code: 'TIMEOUT',
      message: expect.stringContaining('did not answer hello') as unknown,
    });
  });

  it('rejects pending requests when the connection drops', async () => {
    const agent = await fakeAgent();
    const client = await connect();
    agent.delayMs = 500;
    const pending = client.mounts();
    await new Promise((resolve) => setTimeout(resolve, 50));
    await agent.stop();
    await expect(pending).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
  });
});
