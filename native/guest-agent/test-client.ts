/**
 * A minimal client of the guest agent protocol for tests (the backend has its own): frames over
 * any byte stream, requests matched to responses by id, events and id-0 errors kept in order.
 */
import * as net from 'node:net';
import type { Readable, Writable } from 'node:stream';

export type AgentFrame = Record<string, unknown>;

export interface AgentError {
  errno: number;
  code: string;
  message: string;
}

export type AgentResponse<R = Record<string, unknown>> =
  { id: number; ok: true; result: R } | { id: number; ok: false; error: AgentError };

interface Waiter {
  match: (frame: AgentFrame) => boolean;
  resolve: (frame: AgentFrame) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

export function encodeFrame(value: unknown): Buffer {
  const body = Buffer.from(JSON.stringify(value), 'utf8');
  const header = Buffer.alloc(4);
  header.writeUInt32BE(body.length, 0);
  return Buffer.concat([header, body]);
}

export class AgentTestClient {
  private buffered = Buffer.alloc(0);
  private readonly frames: AgentFrame[] = [];
  private readonly waiters: Waiter[] = [];
  private nextId = 1;
  private closedError: Error | undefined;

  constructor(
    input: Readable,
    private readonly output: Writable,
    private readonly onClose?: () => void,
  ) {
    input.on('data', (chunk: Buffer) => this.onData(chunk));
    input.on('end', () => this.fail(new Error('agent stream ended')));
    input.on('error', (error: Error) => this.fail(error));
  }

  /** Connects to a Unix socket (QEMU's chardev or `uvm-agent --listen`), retrying until it exists. */
  static async connectUnix(socketPath: string, timeoutMs = 10_000): Promise<AgentTestClient> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const socket = await new Promise<net.Socket>((resolve, reject) => {
          const s = net.createConnection(socketPath, () => resolve(s));
          s.once('error', reject);
        });
        return new AgentTestClient(socket, socket, () => socket.destroy());
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  /** The next frame that satisfies `match` (already received or still to come). */
  waitFor(match: (frame: AgentFrame) => boolean, timeoutMs = 10_000): Promise<AgentFrame> {
    const index = this.frames.findIndex(match);
    if (index >= 0) return Promise.resolve(this.frames.splice(index, 1)[0] as AgentFrame);
    if (this.closedError !== undefined) return Promise.reject(this.closedError);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        match,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          reject(new Error(`no matching agent frame within ${timeoutMs} ms`));
        }, timeoutMs),
      };
      this.waiters.push(waiter);
    });
  }

  waitForEvent(event: string, timeoutMs?: number): Promise<AgentFrame> {
    return this.waitFor((f) => f.event === event, timeoutMs);
  }

  async request<R = Record<string, unknown>>(
    op: string,
    args: Record<string, unknown> = {},
    timeoutMs?: number,
  ): Promise<AgentResponse<R>> {
    const id = this.nextId++;
    this.output.write(encodeFrame({ id, op, ...args }));
    return (await this.waitFor((f) => f.id === id, timeoutMs)) as unknown as AgentResponse<R>;
  }

  /** A request that must succeed; its result. */
  async call<R = Record<string, unknown>>(
    op: string,
    args: Record<string, unknown> = {},
    timeoutMs?: number,
  ): Promise<R> {
    const response = await this.request<R>(op, args, timeoutMs);
    if (!response.ok)
      throw new Error(`${op} failed: ${response.error.code} ${response.error.message}`);
    return response.result;
  }

  writeRaw(bytes: Buffer): void {
    this.output.write(bytes);
  }

  close(): void {
    this.onClose?.();
  }

  private onData(chunk: Buffer): void {
    this.buffered = Buffer.concat([this.buffered, chunk]);
    while (this.buffered.length >= 4) {
      const length = this.buffered.readUInt32BE(0);
      if (this.buffered.length < 4 + length) break;
      const frame = JSON.parse(this.buffered.toString('utf8', 4, 4 + length)) as AgentFrame;
      this.buffered = this.buffered.subarray(4 + length);
      const waiter = this.waiters.find((w) => w.match(frame));
      if (waiter === undefined) {
        this.frames.push(frame);
      } else {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        clearTimeout(waiter.timer);
        waiter.resolve(frame);
      }
    }
  }

  private fail(error: Error): void {
    this.closedError = error;
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(error);
    }
  }
}
