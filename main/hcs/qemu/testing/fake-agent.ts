/**
 * A guest agent on a Unix socket speaking the framed protocol, with a guest that sees the
 * devices a FakeQmp holds: mount_scsi finds a scsi-hd by target/lun, mount_pmem a pmem device by
 * memaddr, unmount refuses a path an overlay still uses (EBUSY) or that is not mounted (EINVAL).
 * Requests are recorded; any op can be made to fail with an errno.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import { encodeFrame, FrameDecoder } from '../agent-frames.js';
import type { AgentEntry, AgentMount } from '../agent-client.js';
import type { FakeQmp } from './fake-qmp.js';

export interface AgentCall {
  op: string;
  args: Record<string, unknown>;
}

class AgentFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const ERRNO: Record<string, number> = { ENOENT: 2, EIO: 5, EBUSY: 16, EINVAL: 22, ETIMEDOUT: 110 };

export class FakeAgent {
  readonly calls: AgentCall[] = [];
  readonly mounts = new Map<string, AgentMount>();
  /** Directory listings the tests set up, by guest path. */
  readonly directories = new Map<string, AgentEntry[]>();
  readonly fileData = new Map<string, Buffer>();
  private readonly ejected = new Set<string>();
  private readonly formatted = new Set<string>();
  private readonly guestNames = new Map<string, string>();
  private readonly failures: { op: string; code: string; always: boolean }[] = [];
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  /** Delays every answer (to test timeouts and queueing). */
  delayMs = 0;
  /** Called with each request before it is answered (to look at the host's state then). */
  onRequest: ((op: string) => void) | undefined;

  private constructor(
    readonly path: string,
    private readonly qmp: FakeQmp,
  ) {
    this.server = net.createServer((socket) => this.serve(socket));
  }

  static async start(path: string, qmp: FakeQmp): Promise<FakeAgent> {
    fs.rmSync(path, { force: true });
    const fake = new FakeAgent(path, qmp);
    await new Promise<void>((resolve) => fake.server.listen(path, resolve));
    return fake;
  }

  failOp(op: string, code = 'EIO', always = false): void {
    this.failures.push({ op, code, always });
  }

  ops(): string[] {
    return this.calls.filter((c) => c.op !== 'hello').map((c) => c.op);
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    fs.rmSync(this.path, { force: true });
  }

  private serve(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.write(encodeFrame({ event: 'ready', version: 1, uptime: 2.5 }));
    const decoder = new FrameDecoder();
    socket.on('data', (chunk: Buffer) => {
      for (const message of decoder.push(chunk).messages) {
        const { id, op, ...args } = message;
        this.calls.push({ op: String(op), args });
        this.onRequest?.(String(op));
        const answer = this.answer(String(op), args);
        const frame = encodeFrame({ id, ...answer });
        if (this.delayMs > 0)
          setTimeout(() => socket.destroyed || socket.write(frame), this.delayMs);
        else socket.write(frame);
      }
    });
  }

  private answer(op: string, args: Record<string, unknown>): Record<string, unknown> {
    const failure = this.failures.find((f) => f.op === op);
    if (failure) {
      if (!failure.always) this.failures.splice(this.failures.indexOf(failure), 1);
      return error(failure.code, `${op}: injected failure`);
    }
    try {
      return { ok: true, result: this.run(op, args) };
    } catch (e) {
      if (e instanceof AgentFailure) return error(e.code, e.message);
      throw e;
    }
  }

  private run(op: string, a: Record<string, unknown>): Record<string, unknown> {
    const path = text(a['path']);
    switch (op) {
      case 'hello':
        return { version: 1, uptime: 2.5 };
      case 'mount_scsi': {
        const id = this.scsiDevice(Number(a['target']), Number(a['lun']), op);
        this.checkFree(path, op);
        const device = this.guestName(id, 'sd');
        this.mounts.set(path, {
          source: device,
          target: path,
          fstype: 'ext4',
          options: a['readOnly'] ? 'ro' : 'rw',
        });
        return { device };
      }
      case 'format_if_blank': {
        const id = this.scsiDevice(Number(a['target']), Number(a['lun']), op);
        const formatted = !this.formatted.has(id);
        this.formatted.add(id);
        return { formatted };
      }
      case 'mount_pmem': {
        const entry = [...this.qmp.devices.entries()].find(
          ([, d]) => d.driver === 'virtio-pmem-pci' && d.memaddr === Number(a['memaddr']),
        );
        if (!entry)
          throw new AgentFailure('ETIMEDOUT', `${op}: no pmem region at ${String(a['memaddr'])}`);
        this.checkFree(path, op);
        const device = this.guestName(entry[0], 'pmem');
        this.mounts.set(path, {
          source: device,
          target: path,
          fstype: 'ext4',
          options: 'ro,dax=always',
        });
        return { device };
      }
      case 'unmount': {
        if (!this.mounts.has(path))
          throw new AgentFailure('EINVAL', `unmount ${path}: Invalid argument`);
        const user = [...this.mounts.values()].find(
          (m) =>
            m.fstype === 'overlay' &&
            (m.options.includes(`${path}:`) ||
              m.options.includes(`${path},`) ||
              m.options.includes(`=${path}/`)),
        );
        if (user) throw new AgentFailure('EBUSY', `unmount ${path}: Device or resource busy`);
        this.mounts.delete(path);
        return {};
      }
      case 'scsi_unplug': {
        const id = this.scsiDevice(Number(a['target']), Number(a['lun']), op, 'ENOENT');
        this.ejected.add(id);
        return {};
      }
      case 'overlay': {
        const lowers = (a['lowers'] ?? []) as string[];
        for (const lower of lowers) {
          if (!this.mounts.has(lower))
            throw new AgentFailure('ENOENT', `overlay: ${lower}: No such file or directory`);
        }
        const target = String(a['target']);
        this.checkFree(target, op);
        const scratch = String(a['scratch']);
        this.mounts.set(target, {
          source: 'overlay',
          target,
          fstype: 'overlay',
          options: `rw,lowerdir=${lowers.join(':')},upperdir=${scratch}/upper,workdir=${scratch}/work`,
        });
        return {};
      }
      case 'mounts':
        return {
          mounts: [
            { source: 'rootfs', target: '/', fstype: 'rootfs', options: 'rw' },
            { source: 'proc', target: '/proc', fstype: 'proc', options: 'rw' },
            ...this.mounts.values(),
          ],
        };
      case 'list': {
        const entries = this.directories.get(path);
        if (!entries) throw new AgentFailure('ENOENT', `list ${path}: No such file or directory`);
        return { entries };
      }
      case 'stat': {
        const slash = path.lastIndexOf('/');
        const entry = this.directories
          .get(path.slice(0, slash) || '/')
          ?.find((e) => e.name === path.slice(slash + 1));
        if (!entry) throw new AgentFailure('ENOENT', `stat ${path}: No such file or directory`);
        return { ...entry };
      }
      case 'write_file':
        this.fileData.set(path, Buffer.from(text(a['data']), 'base64'));
        return {};
      case 'read_file': {
        const data = this.fileData.get(path);
        if (!data) throw new AgentFailure('ENOENT', `read_file ${path}: No such file or directory`);
        return { data: data.toString('base64'), size: data.length };
      }
      default:
        throw new AgentFailure('EINVAL', `unknown op '${op}'`);
    }
  }

  private scsiDevice(target: number, lun: number, op: string, missing = 'ETIMEDOUT'): string {
    const entry = [...this.qmp.devices.entries()].find(
      ([id, d]) =>
        d.driver === 'scsi-hd' && d.scsiId === target && d.lun === lun && !this.ejected.has(id),
    );
    if (!entry) throw new AgentFailure(missing, `${op}: no SCSI disk *:0:${target}:${lun}`);
    return entry[0];
  }

  private checkFree(path: string, op: string): void {
    if (this.mounts.has(path))
      throw new AgentFailure('EBUSY', `${op}: mount on ${path}: Device or resource busy`);
  }

  private guestName(deviceId: string, prefix: 'sd' | 'pmem'): string {
    let name = this.guestNames.get(deviceId);
    if (!name) {
      const n = [...this.guestNames.values()].filter((v) => v.startsWith(`/dev/${prefix}`)).length;
      name = prefix === 'sd' ? `/dev/sd${String.fromCharCode(97 + n)}` : `/dev/pmem${n}`;
      this.guestNames.set(deviceId, name);
    }
    return name;
  }
}

function error(code: string, message: string): Record<string, unknown> {
  return { ok: false, error: { errno: ERRNO[code] ?? 5, code, message } };
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : '';
}
