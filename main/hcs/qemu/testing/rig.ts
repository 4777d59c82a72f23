/** A qemu backend over fake VMs in a temp folder, with disk images to attach. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ModifySettingRequest } from '../../schema.js';
import { docs as simDocs } from '../../sim/sim-fixtures.js';
import { createQemuBackend, type QemuBackend } from '../qemu-backend.js';
import { FakeQemuHost, type FakeVm } from './fake-vm.js';
import { writeFixedVhd, writeVhdxSignature } from './vhd-fixture.js';

export const MiB = 1024 * 1024;

export interface Rig {
  root: string;
  stateDir: string;
  host: FakeQemuHost;
  backend: QemuBackend;
  /** A new backend object on the same state dir: what the next CLI process sees. */
  reopen(): QemuBackend;
  /** `<root>/<name>/layer.vhd`: a fixed VHD with `dataMiB` of data. */
  layer(name: string, dataMiB?: number): string;
  /** `<root>/<name>/sandbox.vhdx`. */
  scratch(name: string): string;
  vm(id: string): FakeVm;
  close(): Promise<void>;
}

export function openRig(): Rig {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'uvm-qemu-')));
  const stateDir = path.join(root, 'state');
  const image = { kernel: path.join(root, 'vmlinuz'), initrd: path.join(root, 'initrd.gz') };
  fs.writeFileSync(image.kernel, 'kernel');
  fs.writeFileSync(image.initrd, 'initrd');
  const host = new FakeQemuHost();
  const open = (): QemuBackend =>
    createQemuBackend({
      stateDir,
      host,
      image,
      accel: 'tcg',
      bootTimeoutMs: 3000,
      sessionTimeouts: { qmpConnectMs: 3000, agentConnectMs: 3000 },
    });
  const backends: QemuBackend[] = [];
  const reopen = (): QemuBackend => {
    const backend = open();
    backends.push(backend);
    return backend;
  };
  return {
    root,
    stateDir,
    host,
    backend: reopen(),
    reopen,
    layer(name, dataMiB = 4) {
      const folder = path.join(root, name);
      fs.mkdirSync(folder, { recursive: true });
      const file = path.join(folder, 'layer.vhd');
      writeFixedVhd(file, dataMiB * MiB);
      return file;
    },
    scratch(name) {
      const folder = path.join(root, name);
      fs.mkdirSync(folder, { recursive: true });
      const file = path.join(folder, 'sandbox.vhdx');
      writeVhdxSignature(file);
      return file;
    },
    vm: (id) => host.vm(id),
    async close() {
      for (const backend of backends) await backend.close();
      await host.stopAll();
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

/** The LCOW documents the engine sends, in the argument order these tests use (the sim's fixtures). */
export const docs = {
  scsiAdd: (
    controller: number,
    lun: number,
    path: string,
    mountPath: string,
    readOnly: boolean,
  ): ModifySettingRequest => simDocs.lcowScsiAdd(controller, lun, path, readOnly, mountPath),
  scsiRemove: (controller: number, lun: number, mountPath: string): ModifySettingRequest =>
    simDocs.lcowScsiRemove(controller, lun, mountPath),
  vpmemAdd: (device: number, hostPath: string): ModifySettingRequest =>
    simDocs.vpmemAdd(device, hostPath),
  vpmemRemove: (device: number): ModifySettingRequest => simDocs.vpmemRemove(device),
  combine: (root: string, layers: string[], scratch: string): ModifySettingRequest =>
    simDocs.lcowCombine(root, layers, scratch),
  uncombine: (root: string): ModifySettingRequest => simDocs.uncombine(root),
};

export const LINUX_UVM = {
  os: 'linux' as const,
  vpmemCount: 1,
  vpmemMaxSizeBytes: 64 * MiB,
  scsiControllers: 1,
  physicallyBacked: false,
  vpmemMultiMapping: false,
};
