/**
 * The host side of the guest agent protocol (docs/guest-agent-protocol.md) over the `agent`
 * virtio-serial chardev socket. Connecting sends `hello` and waits for its answer: on a fresh
 * boot that answer only comes once the agent runs (QEMU holds our bytes until the guest opens
 * the port), so the same call serves "wait for ready" and "reattach to a running guest".
 * Requests carry ids and a per-request timeout; refusals become GuestAgentErrors.
 */
import type * as net from 'node:net';
import { randomInt } from 'node:crypto';
import { UvmLayersError } from '../../engine/errors.js';
import { GuestAgentError, type AgentErrorBody } from './agent-errors.js';
import { encodeFrame, FrameDecoder } from './agent-frames.js';
import { connectUnix, endGracefully } from './unix-socket.js';

export type AgentEntryType = 'file' | 'dir' | 'symlink' | 'char' | 'block' | 'fifo' | 'socket';

export interface AgentEntry {
  name: string;
  type: AgentEntryType;
  size: number;
  mode: number;
  /** [major, minor] for device nodes; an overlay whiteout is a `char` 0,0. */
  rdev?: [number, number];
  /** Symlink target. */
  target?: string;
}

export interface AgentMount {
  source: string;
  target: string;
  fstype: string;
  options: string;
}

export interface AgentConnectOptions {
  /** For the socket, then for the hello answer (a booting guest answers once its agent runs). */
  timeoutMs: number;
  requestTimeoutMs?: number;
}

interface Pending {
  op: string;
  resolve: (result: Record<string, unknown>) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

export class AgentClient {
  private readonly decoder = new FrameDecoder();
  private readonly pending = new Map<number, Pending>();
  // A random start keeps a late answer meant for an earlier connection from matching ours.
  private nextId = randomInt(1, 2 ** 30);
  private closedError: Error | undefined;
  /** Version and uptime from the last `hello` answer or `ready` event. */
  version = 0;
  uptime = 0;

  private constructor(
    private readonly socket: net.Socket,
    private readonly path: string,
    private readonly requestTimeoutMs: number,
  ) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (error) => this.fail(error));
    socket.on('close', () => this.fail(new Error('the connection was closed')));
  }

  static async connect(path: string, options: AgentConnectOptions): Promise<AgentClient> {
    const deadline = Date.now() + options.timeoutMs;
    const socket = await connectUnix(path, deadline, 'the guest agent socket');
    const client = new AgentClient(socket, path, options.requestTimeoutMs ?? 15_000);
    try {
      const hello = await client.request('hello', {}, Math.max(1, deadline - Date.now()));
      client.version = Number(hello['version'] ?? 0);
      client.uptime = Number(hello['uptime'] ?? 0);
      return client;
    } catch (error) {
      client.destroy();
      if (error instanceof UvmLayersError && error.code === 'TIMEOUT') {
        throw new UvmLayersError(
          'TIMEOUT',
          `the guest agent did not answer hello within ${options.timeoutMs} ms at ${path}`,
        );
      }
      throw error;
    }
  }

  /** One request; resolves with its `result`, rejects with a GuestAgentError or a transport error. */
  request(
    op: string,
    args: Record<string, unknown>,
    timeoutMs = this.requestTimeoutMs,
  ): Promise<Record<string, unknown>> {
    if (this.closedError) return Promise.reject(this.transportError(this.closedError, op));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(
          new UvmLayersError(
            'TIMEOUT',
            `the guest agent did not answer ${op} within ${timeoutMs} ms (${this.path})`,
          ),
        );
      }, timeoutMs);
      this.pending.set(id, { op, resolve, reject, timer });
      this.socket.write(encodeFrame({ id, op, ...args }));
    });
  }

  async mountScsi(args: {
    target: number;
    lun: number;
    path: string;
    readOnly: boolean;
    options?: string[];
    timeoutMs?: number;
  }): Promise<{ device: string }> {
    const result = await this.request('mount_scsi', args, this.waitBudget(args.timeoutMs));
    return { device: text(result['device']) };
  }

  async formatIfBlank(args: {
    target: number;
    lun: number;
    timeoutMs?: number;
  }): Promise<{ formatted: boolean }> {
    // mkfs of a large scratch under TCG takes seconds to minutes.
    const result = await this.request('format_if_blank', args, 300_000);
    return { formatted: result['formatted'] === true };
  }

  async mountPmem(args: {
    memaddr: number;
    path: string;
    timeoutMs?: number;
  }): Promise<{ device: string }> {
    const result = await this.request('mount_pmem', args, this.waitBudget(args.timeoutMs));
    return { device: text(result['device']) };
  }

  async unmount(path: string, removeDir = true): Promise<void> {
    await this.request('unmount', { path, removeDir });
  }

  async scsiUnplug(target: number, lun: number): Promise<void> {
    await this.request('scsi_unplug', { target, lun });
  }

  /** `lowers` top-most first, as overlayfs takes them. */
  async overlay(args: { lowers: string[]; scratch: string; target: string }): Promise<void> {
    await this.request('overlay', args);
  }

  async list(path: string): Promise<AgentEntry[]> {
    const result = await this.request('list', { path });
    return (result['entries'] ?? []) as AgentEntry[];
  }

  async stat(path: string): Promise<AgentEntry> {
    return (await this.request('stat', { path })) as unknown as AgentEntry;
  }

  async mounts(): Promise<AgentMount[]> {
    const result = await this.request('mounts', {});
    return (result['mounts'] ?? []) as AgentMount[];
  }

  async writeFile(path: string, data: Buffer, mode = 0o644): Promise<void> {
    await this.request('write_file', { path, data: data.toString('base64'), mode });
  }

  async readFile(path: string, maxBytes = 65536): Promise<{ data: Buffer; size: number }> {
    const result = await this.request('read_file', { path, maxBytes });
    return {
      data: Buffer.from(text(result['data']), 'base64'),
      size: Number(result['size'] ?? 0),
    };
  }

  async close(): Promise<void> {
    if (this.closedError) return;
    await endGracefully(this.socket);
  }

  destroy(): void {
    this.socket.destroy();
    this.fail(new Error('the connection was closed by this client'));
  }

  /** The host waits a little longer than the agent's own device wait, so the agent's error wins. */
  private waitBudget(agentTimeoutMs: number | undefined): number {
    return Math.max(this.requestTimeoutMs, (agentTimeoutMs ?? 5000) + 5000);
  }

  private onData(chunk: Buffer): void {
    const { messages, errors } = this.decoder.push(chunk);
    for (const problem of errors) {
      this.fail(new Error(`the guest agent sent a bad frame: ${problem}`));
      this.socket.destroy();
      return;
    }
    for (const message of messages) this.onMessage(message);
  }

  private onMessage(message: Record<string, unknown>): void {
    if (message['event'] === 'ready') {
      this.version = Number(message['version'] ?? this.version);
      this.uptime = Number(message['uptime'] ?? this.uptime);
      return;
    }
    const id = message['id'];
    if (typeof id !== 'number') return;
    // id 0: the agent could not read one of our frames; requests are answered in order.
    const key = id === 0 ? this.pending.keys().next().value : id;
    const pending = key === undefined ? undefined : this.pending.get(key);
    if (key === undefined || !pending) return;
    this.pending.delete(key);
    clearTimeout(pending.timer);
    if (message['ok'] === true) {
      pending.resolve((message['result'] ?? {}) as Record<string, unknown>);
      return;
    }
    const body = (message['error'] ?? {}) as Partial<AgentErrorBody>;
    pending.reject(
      new GuestAgentError(pending.op, {
        errno: body.errno ?? 0,
        code: body.code ?? 'EIO',
        message: body.message ?? 'no message',
      }),
    );
  }

  private fail(error: Error): void {
    if (this.closedError) return;
    this.closedError = error;
    for (const pending of this.pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(this.transportError(error, pending.op));
    }
    this.pending.clear();
  }

  private transportError(error: Error, op: string): UvmLayersError {
    return new UvmLayersError(
      'BACKEND_UNAVAILABLE',
      `guest agent connection ${this.path} failed during ${op}: ${error.message}`,
    );
  }
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}
