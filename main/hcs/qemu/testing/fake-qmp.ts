/**
 * A QMP server on a Unix socket that behaves like the parts of QEMU 7.2 the backend uses:
 * block nodes, scsi-hd and virtio-pmem-pci devices, memory backends, the queries, device_del
 * with a later DEVICE_DELETED, "virtio based memory devices cannot be unplugged.", and QEMU's
 * error texts. Every command is recorded; any command can be made to fail.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';

export interface QmpCall {
  execute: string;
  arguments: Record<string, unknown>;
}

export interface FakeNode {
  driver: string;
  filename?: string;
  child?: string;
  readOnly: boolean;
}

export interface FakeDevice {
  driver: string;
  drive?: string;
  scsiId?: number;
  lun?: number;
  memdev?: string;
  memaddr?: number;
  bus?: string;
  size?: number;
}

export interface FakeQmpOptions {
  rootPorts: string[];
  deviceMemory: { base: number; size: number };
}

type Failure = (call: QmpCall) => { class: string; desc: string } | undefined;

export class FakeQmp {
  readonly calls: QmpCall[] = [];
  readonly nodes = new Map<string, FakeNode>();
  readonly devices = new Map<string, FakeDevice>();
  readonly objects = new Map<string, { size: number; memPath: string }>();
  private readonly failures: Failure[] = [];
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  onQuit: (() => void) | undefined;

  private constructor(
    readonly path: string,
    private readonly options: FakeQmpOptions,
  ) {
    this.server = net.createServer((socket) => this.serve(socket));
  }

  static async start(path: string, options: FakeQmpOptions): Promise<FakeQmp> {
    fs.rmSync(path, { force: true });
    const fake = new FakeQmp(path, options);
    await new Promise<void>((resolve) => fake.server.listen(path, resolve));
    return fake;
  }

  /** Fails calls `match` selects with a GenericError (once, unless `always`). */
  failWhen(match: (call: QmpCall) => boolean, desc = 'injected failure', always = false): void {
    const failure: Failure = (call) => {
      if (!match(call)) return undefined;
      if (!always) this.failures.splice(this.failures.indexOf(failure), 1);
      return { class: 'GenericError', desc };
    };
    this.failures.push(failure);
  }

  /** The commands that change something, in order (queries and the handshake left out). */
  changes(): QmpCall[] {
    return this.calls.filter(
      (c) =>
        !c.execute.startsWith('query-') &&
        !['qmp_capabilities', 'qom-get', 'human-monitor-command'].includes(c.execute),
    );
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
    socket.write(
      `${JSON.stringify({ QMP: { version: { qemu: { major: 7, minor: 2, micro: 22 }, package: 'fake' }, capabilities: ['oob'] } })}\r\n`,
    );
    let buffer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      let newline: number;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, newline).trim();
        buffer = buffer.slice(newline + 1);
        if (line !== '') this.onLine(socket, line);
      }
    });
  }

  private onLine(socket: net.Socket, line: string): void {
    const message = JSON.parse(line) as {
      execute: string;
      arguments?: Record<string, unknown>;
      id?: unknown;
    };
    const call: QmpCall = { execute: message.execute, arguments: message.arguments ?? {} };
    this.calls.push(call);
    const reply = (body: Record<string, unknown>): void => {
      if (!socket.destroyed) socket.write(`${JSON.stringify({ ...body, id: message.id })}\r\n`);
    };
    for (const failure of [...this.failures]) {
      const error = failure(call);
      if (error) return reply({ error });
    }
    try {
      const value = this.run(socket, call);
      reply({ return: value ?? {} });
    } catch (error) {
      const e = error as Error & { qmpClass?: string };
      reply({ error: { class: e.qmpClass ?? 'GenericError', desc: e.message } });
    }
    if (call.execute === 'quit') {
      setImmediate(() => {
        socket.destroy();
        this.onQuit?.();
      });
    }
  }

  private run(socket: net.Socket, { execute, arguments: a }: QmpCall): unknown {
    const str = (key: string): string => text(a[key]);
    switch (execute) {
      case 'qmp_capabilities':
      case 'quit':
        return {};
      case 'query-status':
        return { status: 'running', running: true };
      case 'blockdev-add': {
        const name = str('node-name');
        if (this.nodes.has(name)) throw new Error(`Duplicate nodes with node-name='${name}'`);
        const driver = str('driver');
        if (driver === 'file') {
          if (!fs.existsSync(str('filename'))) {
            throw new Error(`Could not open '${str('filename')}': No such file or directory`);
          }
          this.nodes.set(name, {
            driver,
            filename: str('filename'),
            readOnly: a['read-only'] === true,
          });
        } else {
          const child = str('file');
          if (!this.nodes.has(child))
            throw new Error(`Cannot find device='' nor node-name='${child}'`);
          this.nodes.set(name, { driver, child, readOnly: a['read-only'] === true });
        }
        return {};
      }
      case 'blockdev-del': {
        const name = str('node-name');
        if (!this.nodes.has(name)) throw new Error(`Failed to find node with node-name='${name}'`);
        const used =
          [...this.nodes.values()].some((n) => n.child === name) ||
          [...this.devices.values()].some((d) => d.drive === name);
        if (used) throw new Error(`Node ${name} is in use`);
        this.nodes.delete(name);
        return {};
      }
      case 'object-add': {
        const id = str('id');
        if (this.objects.has(id))
          throw new Error(`attempt to add duplicate property '${id}' to object (type 'container')`);
        const size = Number(a['size']);
        const fileSize = fs.statSync(str('mem-path')).size;
        if (size > fileSize) {
          throw new Error(
            `backing store size 0x${fileSize.toString(16)} does not match 'size' option 0x${size.toString(16)}`,
          );
        }
        this.objects.set(id, { size, memPath: str('mem-path') });
        return {};
      }
      case 'object-del': {
        const id = str('id');
        if (!this.objects.has(id)) throw new Error(`object '${id}' not found`);
        if ([...this.devices.values()].some((d) => d.memdev === id)) {
          throw new Error(`object '${id}' is in use, can not be deleted`);
        }
        this.objects.delete(id);
        return {};
      }
      case 'device_add':
        return this.deviceAdd(a);
      case 'device_del': {
        const id = str('id');
        const device = this.devices.get(id);
        if (!device)
          throw Object.assign(new Error(`Device '${id}' not found`), {
            qmpClass: 'DeviceNotFound',
          });
        if (device.driver === 'virtio-pmem-pci')
          throw new Error('virtio based memory devices cannot be unplugged.');
        // Like QEMU, the device goes away after device_del has returned.
        setTimeout(() => {
          this.devices.delete(id);
          if (!socket.destroyed) {
            socket.write(
              `${JSON.stringify({ event: 'DEVICE_DELETED', data: { device: id, path: `/machine/peripheral/${id}` }, timestamp: { seconds: 0, microseconds: 0 } })}\r\n`,
            );
          }
        }, 5);
        return {};
      }
      case 'query-block':
        return [...this.devices.entries()]
          .filter(([, d]) => d.driver === 'scsi-hd')
          .map(([id, d]) => {
            const node = this.nodes.get(d.drive ?? '');
            return {
              qdev: id,
              device: '',
              inserted: {
                'node-name': d.drive,
                drv: node?.driver,
                ro: node?.readOnly,
                file: this.fileOf(d.drive ?? ''),
              },
            };
          });
      case 'query-named-block-nodes':
        return [...this.nodes.entries()].map(([name, n]) => ({
          'node-name': name,
          drv: n.driver,
          ro: n.readOnly,
          file:
            n.filename ??
            `json:${JSON.stringify({ driver: n.driver, file: { driver: 'file', filename: this.fileOf(name) } })}`,
        }));
      case 'query-memory-devices':
        return [...this.devices.entries()]
          .filter(([, d]) => d.driver === 'virtio-pmem-pci')
          .map(([id, d]) => ({
            type: 'virtio-pmem',
            data: { id, memaddr: d.memaddr, size: d.size, memdev: `/objects/${d.memdev}` },
          }));
      case 'qom-get': {
        const id = str('path').replace('/machine/peripheral/', '');
        const device = this.devices.get(id);
        if (!device)
          throw Object.assign(new Error(`Device '${id}' not found`), {
            qmpClass: 'DeviceNotFound',
          });
        return str('property') === 'scsi-id' ? device.scsiId : device.lun;
      }
      case 'human-monitor-command': {
        const { base, size } = this.options.deviceMemory;
        const hex = (n: number): string => n.toString(16).padStart(16, '0');
        return `memory-region: system\r\n  ${hex(base)}-${hex(base + size - 1)} (prio 0, i/o): device-memory\r\n`;
      }
      default:
        throw Object.assign(new Error(`The command ${execute} has not been found`), {
          qmpClass: 'CommandNotFound',
        });
    }
  }

  private deviceAdd(a: Record<string, unknown>): unknown {
    const id = text(a['id']);
    if (this.devices.has(id)) throw new Error(`Duplicate device ID '${id}'`);
    const driver = String(a['driver']);
    if (driver === 'scsi-hd') {
      const drive = String(a['drive']);
      if (!this.nodes.has(drive))
        throw new Error(`Property 'scsi-hd.drive' can't find value '${drive}'`);
      if ([...this.devices.values()].some((d) => d.drive === drive))
        throw new Error(`Drive '${drive}' is already in use`);
      const scsiId = Number(a['scsi-id']);
      const lun = Number(a['lun']);
      if ([...this.devices.values()].some((d) => d.scsiId === scsiId && d.lun === lun)) {
        throw new Error(`lun already used by '${id}'`);
      }
      this.devices.set(id, { driver, drive, scsiId, lun, bus: String(a['bus']) });
      return {};
    }
    if (driver === 'virtio-pmem-pci') {
      const memdev = String(a['memdev']);
      const object = this.objects.get(memdev);
      if (!object)
        throw new Error(`Property 'virtio-pmem-pci.memdev' can't find value '${memdev}'`);
      const bus = String(a['bus']);
      if (!this.options.rootPorts.includes(bus)) throw new Error(`Bus '${bus}' not found`);
      if ([...this.devices.values()].some((d) => d.bus === bus))
        throw new Error(`Bus '${bus}' does not support hotplugging`);
      const memaddr = Number(a['memaddr']);
      const { base, size } = this.options.deviceMemory;
      if (memaddr < base || memaddr + object.size > base + size) {
        throw new Error(
          `address range [0x${memaddr.toString(16)}:...] exceeds the device memory region`,
        );
      }
      this.devices.set(id, { driver, memdev, memaddr, bus, size: object.size });
      return {};
    }
    throw new Error(`'${driver}' is not a valid device model name`);
  }

  private fileOf(node: string): string {
    let current = this.nodes.get(node);
    while (current?.child !== undefined) current = this.nodes.get(current.child);
    return current?.filename ?? '';
  }
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : '';
}
