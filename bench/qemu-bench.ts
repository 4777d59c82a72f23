/**
 * The QEMU part of `npm run bench` (figures only): boot time; attach + mount per layer through the
 * engine's backend (one HCS document) beside the raw QMP + agent steps for the same kind of file
 * (ratio, target ≤ 1.2×), for SCSI and vPMEM; QEMU's memory per UVM.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildUtilityVmImage } from '../main/hcs/qemu/image/index.js';
import { createQemuBackend } from '../main/hcs/qemu/index.js';
import { AgentClient } from '../main/hcs/qemu/agent-client.js';
import { QmpClient } from '../main/hcs/qemu/qmp-client.js';
import { runFiles } from '../main/hcs/qemu/run-files.js';
import { planLayout } from '../main/hcs/qemu/vm-layout.js';
import * as documents from '../main/engine/uvm/documents.js';
import { createLayer } from '../main/tools/index.js';

const SCSI_ROUNDS = Number(process.env.BENCH_QEMU_ROUNDS ?? 5);
const MiB = 1024 * 1024;

function rssMiB(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

/** A read-only layer at controller 0, `lun`, as the engine attaches one (its own documents). */
const scsiLayer = (lun: number, hostPath: string, uvmPath: string) => ({
  controller: 0,
  lun,
  hostPath,
  readOnly: true,
  uvmPath,
});
const pmemLayer = (device: number, hostPath: string) => ({
  device,
  hostPath,
  uvmPath: `/run/layers/p${device}`,
});

async function must(qmp: QmpClient, command: string, args: Record<string, unknown>): Promise<void> {
  const r = await qmp.execute(command, args);
  if (!r.ok) throw new Error(`${command}: ${r.error.desc}`);
}

/** The same work as one SCSI layer add, done by hand: two block nodes, the disk, the guest mount. */
async function rawScsi(
  files: ReturnType<typeof runFiles>,
  lun: number,
  hostPath: string,
  dataSize: number,
): Promise<number> {
  const started = performance.now();
  const qmp = await QmpClient.connect(files.qmp, { timeoutMs: 10_000 });
  const agent = await AgentClient.connect(files.agent, { timeoutMs: 10_000 });
  await must(qmp, 'blockdev-add', {
    'node-name': `raw-f${lun}`,
    driver: 'file',
    filename: hostPath,
    'read-only': true,
  });
  await must(qmp, 'blockdev-add', {
    'node-name': `raw-d${lun}`,
    driver: 'raw',
    file: `raw-f${lun}`,
    size: dataSize,
    'read-only': true,
  });
  await must(qmp, 'device_add', {
    driver: 'scsi-hd',
    id: `raw-s${lun}`,
    bus: 'scsi0.0',
    'scsi-id': 0,
    lun,
    drive: `raw-d${lun}`,
  });
  await agent.mountScsi({
    target: 0,
    lun,
    path: `/run/raw/m${lun}`,
    readOnly: true,
    options: ['ro'],
  });
  const ms = performance.now() - started;
  // Undo by hand too, outside the timing.
  await agent.unmount(`/run/raw/m${lun}`);
  await agent.scsiUnplug(0, lun);
  const deleted = qmp.waitForEvent('DEVICE_DELETED', (d) => d['device'] === `raw-s${lun}`, 10_000);
  await must(qmp, 'device_del', { id: `raw-s${lun}` });
  await deleted;
  await must(qmp, 'blockdev-del', { 'node-name': `raw-d${lun}` });
  await must(qmp, 'blockdev-del', { 'node-name': `raw-f${lun}` });
  await agent.close();
  await qmp.close();
  return ms;
}

/** One vPMEM layer by hand: the memory backend, the device at a chosen 2 MiB-aligned address, the mount. */
async function rawPmem(
  files: ReturnType<typeof runFiles>,
  port: string,
  memaddr: number,
  hostPath: string,
  dataSize: number,
  n: number,
): Promise<number> {
  const started = performance.now();
  const qmp = await QmpClient.connect(files.qmp, { timeoutMs: 10_000 });
  const agent = await AgentClient.connect(files.agent, { timeoutMs: 10_000 });
  await must(qmp, 'object-add', {
    'qom-type': 'memory-backend-file',
    id: `raw-mb${n}`,
    'mem-path': hostPath,
    size: dataSize,
    share: true,
    readonly: true,
  });
  await must(qmp, 'device_add', {
    driver: 'virtio-pmem-pci',
    id: `raw-pm${n}`,
    memdev: `raw-mb${n}`,
    bus: port,
    memaddr,
  });
  await agent.mountPmem({ memaddr, path: `/run/raw/p${n}` });
  const ms = performance.now() - started;
  await agent.unmount(`/run/raw/p${n}`);
  await agent.close();
  await qmp.close();
  return ms;
}

export async function qemuBench(): Promise<void> {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'uvm-layers-bench-qemu-'));
  try {
    await buildUtilityVmImage({ stateDir });
  } catch (error) {
    console.log(`(d) QEMU skipped: ${(error as Error).message}`);
    return;
  }
  const layers = path.join(stateDir, 'layers');
  const make = async (name: string): Promise<{ file: string; dataSize: number }> => {
    const src = path.join(layers, 'src', name);
    fs.mkdirSync(path.join(src, 'etc'), { recursive: true });
    fs.writeFileSync(path.join(src, 'etc', name), name.repeat(1000));
    const { path: file, sizeBytes } = await createLayer(src, path.join(layers, name));
    return { file, dataSize: sizeBytes - 512 };
  };
  const [layerS, pmemA, pmemB, pmemC, pmemD] = await Promise.all(
    ['s', 'pa', 'pb', 'pc', 'pd'].map(make),
  );
  const backend = createQemuBackend({ stateDir });
  const id = 'bench';
  const config = {
    id,
    os: 'linux' as const,
    vpmemCount: 2,
    vpmemMaxSizeBytes: 64 * MiB,
    scsiControllers: 1,
    physicallyBacked: false,
    vpmemMultiMapping: false,
  };
  try {
    await backend.createUtilityVm(config);
    const boot = await timed(() => backend.startUtilityVm(id));
    const files = runFiles(stateDir, id);
    const pid = Number(fs.readFileSync(files.pid, 'utf8'));
    const rssBoot = rssMiB(pid);

    const engineScsi: number[] = [];
    const rawScsiMs: number[] = [];
    for (let i = 0; i < SCSI_ROUNDS; i++) {
      engineScsi.push(
        await timed(() =>
          backend.modify(
            id,
            documents.scsiAdd('linux', scsiLayer(1, layerS!.file, '/run/mounts/m1')),
          ),
        ),
      );
      await backend.modify(
        id,
        documents.scsiRemove('linux', scsiLayer(1, layerS!.file, '/run/mounts/m1')),
      );
      rawScsiMs.push(await rawScsi(files, 2, layerS!.file, layerS!.dataSize));
    }
    // vPMEM devices cannot be unplugged: two samples each way, on distinct ports and addresses.
    const layout = planLayout(config);
    const enginePmem = [
      await timed(() => backend.modify(id, documents.vpmemAdd(pmemLayer(0, pmemA!.file)))),
      await timed(() => backend.modify(id, documents.vpmemAdd(pmemLayer(1, pmemB!.file)))),
    ];
    const top = layout.pmemWindow.base + layout.pmemWindow.size;
    const rawPmemMs = [
      await rawPmem(
        files,
        layout.rootPorts.at(-1)!,
        top - 64 * MiB,
        pmemC!.file,
        pmemC!.dataSize,
        1,
      ),
      await rawPmem(
        files,
        layout.rootPorts.at(-2)!,
        top - 128 * MiB,
        pmemD!.file,
        pmemD!.dataSize,
        2,
      ),
    ];
    const rssMounted = rssMiB(pid);
    const e = median(engineScsi);
    const r = median(rawScsiMs);
    const ep = median(enginePmem);
    const rp = median(rawPmemMs);
    console.log(
      `(d) QEMU utility VM (${process.env.UVM_LAYERS_QEMU_ACCEL ?? 'auto'} accel): boot to agent ready ${(boot / 1000).toFixed(2)} s`,
    );
    console.log(
      `    SCSI layer attach + mount, median of ${SCSI_ROUNDS}: backend ${e.toFixed(0)} ms, raw QMP + agent ${r.toFixed(0)} ms (${(e / r).toFixed(2)}×, target ≤ 1.2×)`,
    );
    console.log(
      `    vPMEM layer attach + mount, median of 2: backend ${ep.toFixed(0)} ms, raw QMP + agent ${rp.toFixed(0)} ms (${(ep / rp).toFixed(2)}×, target ≤ 1.2×)`,
    );
    console.log(
      `    QEMU RSS: ${rssBoot.toFixed(0)} MiB after boot, ${rssMounted.toFixed(0)} MiB with 4 vPMEM layers mounted`,
    );
  } finally {
    await backend.terminateUtilityVm(id).catch(() => undefined);
    await backend.close();
    fs.rmSync(stateDir, { recursive: true, force: true });
  }
}
