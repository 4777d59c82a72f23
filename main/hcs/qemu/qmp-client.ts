/**
 * A QMP client over QEMU's Unix socket: reads the greeting, negotiates capabilities, sends
 * commands with ids and matches the replies, and keeps the asynchronous events (DEVICE_DELETED…)
 * so a caller can wait for one that may already have arrived. A command QEMU refuses is a value
 * (`{ ok: false, error: { class, desc } }`), not an exception: callers decide what a refusal
 * means (device_del of a missing device is "already done" during a retried remove). Only the
 * transport fails by rejecting: a closed socket, a timeout, a line that is not JSON.
 */
import type * as net from 'node:net';
import { UvmLayersError } from '../../engine/errors.js';
import { connectUnix, endGracefully } from './unix-socket.js';

export interface QmpError {
  class: string;
  desc: string;
}

export type QmpResult<T = unknown> = { ok: true; value: T } | { ok: false; error: QmpError };

export interface QmpEvent {
  event: string;
  data: Record<string, unknown>;
  timestamp?: { seconds: number; microseconds: number };
}

export interface QmpGreeting {
  version: { qemu: { major: number; minor: number; micro: number }; package: string };
  capabilities: string[];
}

export interface QmpConnectOptions {
  /** Covers waiting for the socket (another client may hold it), the greeting and capabilities. */
  timeoutMs: number;
  /** Default per-command timeout. */
  commandTimeoutMs?: number;
}

interface Pending {
  id: number;
  command: string;
  resolve: (result: QmpResult) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

interface EventWaiter {
  name: string;
  match: (data: Record<string, unknown>) => boolean;
  resolve: (event: QmpEvent) => void;
}

/** Events kept for late waiters; QEMU emits few, so this only guards against a flood. */
const MAX_BUFFERED_EVENTS = 256;

export class QmpClient {
  private buffer = '';
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly buffered: QmpEvent[] = [];
  private readonly waiters = new Set<EventWaiter>();
  private closedError: Error | undefined;
  private greetingReceived: ((greeting: QmpGreeting) => void) | undefined;
  private onFailure: ((error: Error) => void) | undefined;
  /** What QEMU announced on connect (its version). */
  greeting: QmpGreeting | undefined;

  private constructor(
    private readonly socket: net.Socket,
    private readonly path: string,
    private readonly commandTimeoutMs: number,
  ) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.onData(chunk));
    socket.on('error', (error) => this.fail(error));
    socket.on('close', () => this.fail(new Error('the connection was closed')));
  }

  /** Connects, waits for the greeting and leaves capabilities negotiation mode. */
  static async connect(path: string, options: QmpConnectOptions): Promise<QmpClient> {
    const deadline = Date.now() + options.timeoutMs;
    const socket = await connectUnix(path, deadline, 'the QMP socket');
    const client = new QmpClient(socket, path, options.commandTimeoutMs ?? 30_000);
    try {
      const greeting = await client.waitForGreeting(deadline);
      client.greeting = greeting;
      const caps = await client.execute('qmp_capabilities', undefined, deadline - Date.now());
      if (!caps.ok) {
        throw new UvmLayersError(
          'BACKEND_UNAVAILABLE',
          `QMP at ${path} refused qmp_capabilities: ${caps.error.desc}`,
        );
      }
      return client;
    } catch (error) {
      client.destroy();
      throw error;
    }
  }

  get closed(): boolean {
    return this.closedError !== undefined;
  }

  /** Sends one command; resolves with QEMU's answer, rejects only when the transport fails. */
  execute<T = unknown>(
    command: string,
    args?: Record<string, unknown>,
    timeoutMs = this.commandTimeoutMs,
  ): Promise<QmpResult<T>> {
    if (this.closedError) return Promise.reject(this.transportError(this.closedError));
    const id = this.nextId++;
    const message = JSON.stringify({
      execute: command,
      ...(args === undefined ? {} : { arguments: args }),
      id,
    });
    return new Promise<QmpResult<T>>((resolve, reject) => {
      const timer = setTimeout(
        () => {
          this.pending.delete(id);
          reject(
            new UvmLayersError(
              'TIMEOUT',
              `QEMU did not answer ${command} within ${timeoutMs} ms (QMP ${this.path})`,
            ),
          );
        },
        Math.max(1, timeoutMs),
      );
      this.pending.set(id, {
        id,
        command,
        resolve: resolve as (result: QmpResult) => void,
        reject,
        timer,
      });
      this.socket.write(`${message}\n`);
    });
  }

  /**
   * The first event named `name` whose data satisfies `match`, including one that arrived
   * before the call (then it is consumed, so two waits never take the same event).
   */
  waitForEvent(
    name: string,
    match: (data: Record<string, unknown>) => boolean,
    timeoutMs: number,
  ): Promise<QmpEvent> {
    const index = this.buffered.findIndex((e) => e.event === name && match(e.data));
    if (index >= 0) {
      const [event] = this.buffered.splice(index, 1);
      if (event) return Promise.resolve(event);
    }
    if (this.closedError) return Promise.reject(this.transportError(this.closedError));
    return new Promise<QmpEvent>((resolve, reject) => {
      const waiter: EventWaiter = {
        name,
        match,
        resolve: (event) => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          resolve(event);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(
          new UvmLayersError(
            'TIMEOUT',
            `QEMU sent no ${name} event within ${timeoutMs} ms (QMP ${this.path})`,
          ),
        );
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  /** Events received and not consumed by a wait, oldest first. */
  get events(): readonly QmpEvent[] {
    return this.buffered;
  }

  /** Disconnects; QEMU then serves the next client waiting on the socket. */
  async close(): Promise<void> {
    if (this.closedError) return;
    await endGracefully(this.socket);
  }

  /** Drops the connection at once (QEMU is gone or about to be). */
  destroy(): void {
    this.socket.destroy();
    this.fail(new Error('the connection was closed by this client'));
  }

  private waitForGreeting(deadline: number): Promise<QmpGreeting> {
    return new Promise<QmpGreeting>((resolve, reject) => {
      const timer = setTimeout(
        () => {
          this.greetingReceived = undefined;
          reject(
            new UvmLayersError(
              'TIMEOUT',
              `no QMP greeting from ${this.path}: another client may be holding the socket`,
            ),
          );
        },
        Math.max(1, deadline - Date.now()),
      );
      this.greetingReceived = (greeting) => {
        clearTimeout(timer);
        resolve(greeting);
      };
      this.onFailure = (error) => {
        clearTimeout(timer);
        reject(this.transportError(error));
      };
    });
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    let newline: number;
    while ((newline = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, newline).trim();
      this.buffer = this.buffer.slice(newline + 1);
      if (line !== '') this.onLine(line);
    }
  }

  private onLine(line: string): void {
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch {
      this.fail(new Error(`QEMU sent a line that is not JSON: ${line.slice(0, 200)}`));
      this.socket.destroy();
      return;
    }
    if (typeof message !== 'object' || message === null) return;
    const m = message as Record<string, unknown>;
    if ('QMP' in m) {
      const greeting = this.greetingReceived;
      this.greetingReceived = undefined;
      greeting?.(m['QMP'] as QmpGreeting);
      return;
    }
    if (typeof m['event'] === 'string') {
      this.onEvent({
        event: m['event'],
        data: (m['data'] ?? {}) as Record<string, unknown>,
        ...(m['timestamp'] === undefined
          ? {}
          : { timestamp: m['timestamp'] as NonNullable<QmpEvent['timestamp']> }),
      });
      return;
    }
    // A reply without an id answers a line QEMU could not parse: commands are answered in order.
    const pending =
      typeof m['id'] === 'number' ? this.pending.get(m['id']) : this.pending.values().next().value;
    if (!pending) return;
    this.pending.delete(pending.id);
    clearTimeout(pending.timer);
    if ('error' in m) {
      const error = (m['error'] ?? {}) as Partial<QmpError>;
      pending.resolve({
        ok: false,
        error: { class: error.class ?? 'GenericError', desc: error.desc ?? 'unknown error' },
      });
    } else {
      pending.resolve({ ok: true, value: m['return'] });
    }
  }

  private onEvent(event: QmpEvent): void {
    for (const waiter of this.waiters) {
      if (waiter.name === event.event && waiter.match(event.data)) {
        waiter.resolve(event);
        return;
      }
    }
    this.buffered.push(event);
    if (this.buffered.length > MAX_BUFFERED_EVENTS) this.buffered.shift();
  }

  private fail(error: Error): void {
    if (this.closedError) return;
    this.closedError = error;
    this.onFailure?.(error);
    for (const pending of this.pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(this.transportError(error, pending.command));
    }
    this.pending.clear();
  }

  private transportError(error: Error, command?: string): UvmLayersError {
    const during = command === undefined ? '' : ` during ${command}`;
    return new UvmLayersError(
      'BACKEND_UNAVAILABLE',
      `QMP connection to ${this.path} failed${during}: ${error.message}`,
    );
  }
}
