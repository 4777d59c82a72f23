/**
 * The qemu backend end to end, with one real utility VM (TCG unless the KVM probe boots): the
 * engine mounts three layers built from directories (a file overridden by an upper layer, one
 * deleted by a whiteout) with a vPMEM count of 1, so the base goes to vPMEM and the others to
 * SCSI; the merged rootfs is read and written through the agent; a new backend object (the next
 * process) reattaches; unmount leaves no SCSI device in QEMU; a failure injected at each request
 * of a mount, a mount process killed half-way, and a layer the guest cannot mount, leave no QEMU
 * device behind.
 * Skips, saying why, without qemu-system-x86_64 or apt-get (the image is built from Debian
 * packages) and the whiteout check without root (mknod).
 */
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { bundleForTest } from '../../testing/bundle.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLayerService } from '../../engine/service.js';
import type { LayerService } from '../../engine/service-api.js';
import { StateStore } from '../../store/state-store.js';
import { createLayer } from '../../tools/create-layer.js';
import { createScratch } from '../../tools/create-scratch.js';
import { findExecutable } from '../../tools/host-tools.js';
import { listContainerFiles } from './files.js';
import { buildUtilityVmImage, imagePaths } from './image/index.js';
import { failingAt } from './testing/failing-backend.js';
import { createQemuBackend, type QemuBackend } from './qemu-backend.js';
import { loadState } from './qemu-state.js';
import type { ReadBack } from './readback.js';
import { runFiles } from './run-files.js';
import { writeFixedVhd } from './testing/vhd-fixture.js';

const MiB = 1024 * 1024;
const UVM = 'it1';
const GUEST_ROOT = '/run/gcs/c/c1';
const ROOTFS = `${GUEST_ROOT}/rootfs`;
const missing = [
  findExecutable('qemu-system-x86_64') === undefined
    ? 'qemu-system-x86_64 (apt-get install qemu-system-x86)'
    : '',
  findExecutable('apt-get') === undefined
    ? 'apt-get (the image is built from Debian packages)'
    : '',
].filter(Boolean);
const isRoot = process.getuid?.() === 0;
const repoRoot = path.resolve(__dirname, '..', '..', '..');
// Shared with the image tests and kept between runs (git-ignored): only the first run downloads.
const imageStateDir =
  process.env.UVM_LAYERS_TEST_STATE_DIR ?? path.join(repoRoot, '.uvm-layers', 'test-state');
const title =
  missing.length > 0
    ? `qemu backend end to end (skipped: ${missing.join(', ')} not installed)`
    : 'qemu backend end to end';

/** testing/mount-child.ts bundled to one file, as the CLI is bundled for its process tests. */
function childBundle(): string {
  return bundleForTest(path.join(__dirname, 'testing', 'mount-child.ts'));
}

function writeTree(root: string, files: Record<string, string>): void {
  for (const [rel, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), content);
  }
}

/** Nothing of a container is left: no SCSI disk or block node in QEMU, no device mount in the guest. */
function expectNoDevices(back: ReadBack): void {
  expect(back.state).toBe('Running');
  expect(back.scsi).toEqual([]);
  expect(back.blockNodes).toEqual([]);
  expect(back.pmem.filter((p) => p.status !== 'parked')).toEqual([]);
  const deviceMounts = back.guestMounts.filter(
    (m) => /^\/dev\/(sd|pmem)/.test(m.source) || m.fstype === 'overlay',
  );
  expect(deviceMounts).toEqual([]);
}

describe.skipIf(missing.length > 0)(title, () => {
  let work: string;
  let stateDir: string;
  let store: StateStore;
  let backend: QemuBackend;
  let service: LayerService;
  let layers: string[];
  let scratch: string;
  const timings: Record<string, number> = {};

  const open = (): void => {
    backend = createQemuBackend({
      stateDir,
      image: imagePaths(imageStateDir),
      bootTimeoutMs: 90_000,
    });
    service = createLayerService(store, backend);
  };

  const timed = async <T>(label: string, fn: () => Promise<T>): Promise<T> => {
    const started = Date.now();
    try {
      return await fn();
    } finally {
      timings[label] = Date.now() - started;
    }
  };

  beforeAll(async () => {
    await timed('image build (cached)', () => buildUtilityVmImage({ stateDir: imageStateDir }));
    work = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'uvm-qemu-it-')));
    stateDir = path.join(work, 'state');
    const base = path.join(work, 'src', 'base');
    writeTree(base, {
      'base.txt': 'base file',
      'shadowed.txt': 'version from base',
      'deleted.txt': 'doomed',
      'etc/os-release': 'NAME=uvm-layers-test',
    });
    const mid = path.join(work, 'src', 'mid');
    writeTree(mid, { 'shadowed.txt': 'version from mid', 'mid.txt': 'mid file' });
    const top = path.join(work, 'src', 'top');
    writeTree(top, { 'top.txt': 'top file' });
    // An overlay whiteout is a char device 0/0; mke2fs -d carries it into the image.
    if (isRoot) execFileSync('mknod', [path.join(top, 'deleted.txt'), 'c', '0', '0']);
    layers = [];
    for (const name of ['base', 'mid', 'top']) {
      const folder = path.join(work, 'layers', name);
      await createLayer(path.join(work, 'src', name), folder);
      layers.push(folder);
    }
    scratch = path.join(work, 'scratch');
    await createScratch(scratch, 64 * MiB);
    store = StateStore.open(stateDir);
    open();
    await timed('create + boot (incl. KVM probe)', () =>
      service.createUvm({ id: UVM, os: 'linux', vpmemCount: 1, vpmemMaxSizeBytes: 256 * MiB }),
    );
  }, 300_000);

  afterAll(async () => {
    console.log(
      `qemu backend timings (ms): ${Object.entries(timings)
        .map(([k, v]) => `${k} ${v}`)
        .join('; ')}`,
    );
    try {
      await service?.removeUvm({ id: UVM, force: true });
    } catch (error) {
      console.log(`removing ${UVM} failed: ${(error as Error).message}`);
    }
    // Whatever happened above, no QEMU may outlive the test.
    const pid = stateDir ? loadState(runFiles(stateDir, UVM))?.process?.pid : undefined;
    if (pid !== undefined) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    await service?.close().catch(() => undefined);
    if (work) fs.rmSync(work, { recursive: true, force: true });
  }, 60_000);

  it('boots a real utility VM and chose its accelerator by a test boot', async () => {
    const state = loadState(runFiles(stateDir, UVM));
    expect(state?.process?.accel).toMatch(/^(tcg|kvm)$/);
    const accel = JSON.parse(
      fs.readFileSync(path.join(stateDir, 'qemu', 'accel.json'), 'utf8'),
    ) as { detail: string };
    console.log(`accelerator: ${state?.process?.accel ?? '?'} (${accel.detail})`);
    expect((await backend.enumerate()).map((s) => [s.id, s.state])).toEqual([[UVM, 'Running']]);
  });

  it('mounts three layers over vPMEM and SCSI and shows the merged rootfs', async () => {
    const { rootfs } = await timed('mount 3 layers + scratch', () =>
      service.mount({ uvm: UVM, guestRoot: GUEST_ROOT, layers, scratch }),
    );
    expect(rootfs).toBe(ROOTFS);
    const [container] = await service.containers(UVM);
    expect(container?.layers.map((l) => l.kind)).toEqual(['vpmem', 'scsi', 'scsi']);
    const read = async (name: string): Promise<string> =>
      (await backend.readGuestFile(UVM, `${ROOTFS}/${name}`)).data.toString();
    expect(await read('base.txt')).toBe('base file');
    expect(await read('shadowed.txt')).toBe('version from mid');
    expect(await read('top.txt')).toBe('top file');
    if (isRoot) {
      await expect(backend.statPath(UVM, `${ROOTFS}/deleted.txt`)).rejects.toMatchObject({
        errnoCode: 'ENOENT',
      });
    }
    const back = await backend.readBack(UVM);
    expect(back.scsi.map((d) => `${d.controller}:${d.lun}:${d.driver}:${d.readOnly}`)).toEqual([
      '0:0:raw:true',
      '0:1:raw:true',
      '0:2:vhdx:false',
    ]);
    expect(back.pmem.map((p) => p.status)).toEqual(['active']);
    expect(backend.compare(back, await service.showUvm(UVM))).toEqual([]);
  });

  it('writes into the rootfs and tells, per file, which layer provides it', async () => {
    await backend.writeGuestFile(UVM, `${ROOTFS}/new.txt`, Buffer.from('written in the UVM'));
    expect((await backend.readGuestFile(UVM, `${ROOTFS}/new.txt`)).data.toString()).toBe(
      'written in the UVM',
    );
    const [container] = await service.containers(UVM);
    const views = await listContainerFiles(
      backend,
      UVM,
      {
        rootfs: ROOTFS,
        layers: (container?.layers ?? []).map((l) => ({ folder: l.folder, uvmPath: l.uvmPath })),
        scratch: { uvmPath: GUEST_ROOT },
      },
      '',
    );
    const origin = (name: string): string | undefined =>
      views.find((v) => v.name === name && !v.whiteout)?.origin;
    expect(origin('base.txt')).toBe(layers[0]);
    expect(origin('shadowed.txt')).toBe(layers[1]);
    expect(origin('top.txt')).toBe(layers[2]);
    expect(origin('new.txt')).toBe('scratch');
    if (isRoot) {
      expect(views.find((v) => v.name === 'deleted.txt')).toEqual({
        name: 'deleted.txt',
        type: 'char',
        size: 0,
        origin: layers[2],
        whiteout: true,
      });
    }
  });

  it('a new backend object (the next process) reattaches and unmounts; no SCSI device is left', async () => {
    await service.close();
    store = StateStore.open(stateDir);
    open();
    expect((await service.containers(UVM)).length).toBe(1);
    await timed('unmount', () => service.unmount({ uvm: UVM, guestRoot: GUEST_ROOT }));
    const back = await backend.readBack(UVM);
    expectNoDevices(back);
    // vPMEM cannot be unplugged: the base layer's device stays, parked.
    expect(back.pmem.map((p) => p.status)).toEqual(['parked']);
    expect(backend.compare(back, await service.showUvm(UVM))).toEqual([]);
  });

  for (const n of [1, 2, 3, 4, 5]) {
    it(`a failure at request ${n} of a mount leaves no QEMU device behind`, async () => {
      const faulty = createLayerService(store, failingAt(backend, n));
      const failure = await faulty.mount({ uvm: UVM, guestRoot: GUEST_ROOT, layers, scratch }).then(
        () => undefined,
        (error: unknown) => error as Error & { code: string },
      );
      // The whole error, when it is not the injected one alone (a rollback that failed says why).
      if (failure?.message !== undefined && !/^failed to mount container/.test(failure.message)) {
        console.log(`mount with a failure at ${n}: ${failure.message}`);
      }
      expect(failure).toMatchObject({
        code: 'HCS_ERROR',
        message: expect.stringContaining(`injected failure of modify ${n}`) as unknown,
      });
      const back = await backend.readBack(UVM);
      expectNoDevices(back);
      expect(backend.compare(back, await service.showUvm(UVM))).toEqual([]);
      expect(await service.containers(UVM)).toEqual([]);
    });
  }

  it('a mount process killed half-way is rolled back by the next process, leaving no device', async () => {
    const child = spawn(
      process.execPath,
      [
        childBundle(),
        stateDir,
        imagePaths(imageStateDir).kernel,
        imagePaths(imageStateDir).initrd,
        JSON.stringify({ uvm: UVM, guestRoot: GUEST_ROOT, layers, scratch }),
      ],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
        // koffi (the store's file locks) stays outside the bundle, as in the CLI build.
        env: { ...process.env, NODE_PATH: path.join(repoRoot, 'node_modules') },
      },
    );
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    let done = false;
    const exited = new Promise((resolve) =>
      child.once('exit', (code) => {
        done = true;
        resolve(code);
      }),
    );
    // Kill it while its SCSI add is in flight: the disk is noted, maybe plugged, maybe mounted.
    const file = runFiles(stateDir, UVM).state;
    let killedMidRequest = false;
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && !done) {
      const pending = loadState(runFiles(stateDir, UVM))?.pending ?? [];
      if (pending.some((p) => p.kind === 'scsi-device')) {
        killedMidRequest = true;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    child.kill('SIGKILL');
    await exited;
    expect(stderr).toBe('');
    expect(killedMidRequest).toBe(true);
    expect(loadState(runFiles(stateDir, UVM))?.pending?.length).toBeGreaterThan(0);
    expect(fs.existsSync(file)).toBe(true);
    // The next process: the engine rolls the interrupted mount back, the backend first removes
    // what the dead process left half-made.
    await service.close();
    store = StateStore.open(stateDir);
    open();
    expect(await service.containers(UVM)).toEqual([]);
    const back = await backend.readBack(UVM);
    expectNoDevices(back);
    expect(back.pending).toEqual([]);
    expect(backend.compare(back, await service.showUvm(UVM))).toEqual([]);
  });

  it('a layer the guest cannot mount is unplugged again, and the mount rolls back', async () => {
    const blank = path.join(work, 'layers', 'blank');
    fs.mkdirSync(blank, { recursive: true });
    writeFixedVhd(path.join(blank, 'layer.vhd'), 4 * MiB);
    await expect(
      service.mount({ uvm: UVM, guestRoot: GUEST_ROOT, layers: [layers[0] ?? '', blank], scratch }),
    ).rejects.toMatchObject({ message: expect.stringContaining('mount_scsi') as unknown });
    const back = await backend.readBack(UVM);
    expectNoDevices(back);
    expect(backend.compare(back, await service.showUvm(UVM))).toEqual([]);
  });

  it('mounts again after all that, with the scratch keeping what was written', async () => {
    await service.mount({ uvm: UVM, guestRoot: GUEST_ROOT, layers, scratch });
    expect((await backend.readGuestFile(UVM, `${ROOTFS}/new.txt`)).data.toString()).toBe(
      'written in the UVM',
    );
    expect(backend.compare(await backend.readBack(UVM), await service.showUvm(UVM))).toEqual([]);
    await service.unmount({ uvm: UVM, guestRoot: GUEST_ROOT });
    expectNoDevices(await backend.readBack(UVM));
  });
});
