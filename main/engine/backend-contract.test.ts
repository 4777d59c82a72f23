/**
 * The contract both backends keep for the engine: the same operations send the same documents,
 * in the same order, whether they go to the simulator or through computecore.dll (here a
 * recording fake of it); a refused request is the same kind of error with its HRESULT, and the
 * rollback sends the same undo documents; the lifecycle runs create, start, terminate.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeComputeCore } from '../../native/testing/fake-computecore.js';
import { FakeVmCompute } from '../../native/testing/fake-vmcompute.js';
import type { HcsBackend } from '../hcs/backend.js';
import { HRESULT } from '../hcs/hresult.js';
import type { ModifySettingRequest } from '../hcs/schema.js';
import { createSimBackend } from '../hcs/sim/index.js';
import { createHcsBackend } from '../hcs/win/index.js';
import { StateStore } from '../store/state-store.js';
import { createLayerService } from './service.js';
import type { LayerService } from './service-api.js';
import { storeSimPersistence } from './sim-persistence.js';
import { makeLayer, makeScratch, tempDir } from './testing/fixtures.js';

interface Run {
  service: LayerService;
  documents(): ModifySettingRequest[];
  root: string;
}

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});

function folders(root: string) {
  return {
    base: makeLayer(root, 'base'),
    app: makeLayer(root, 'app'),
    scratch: makeScratch(root, 'scratch'),
  };
}

/** Both runs use the same folder paths so the documents compare byte for byte. */
function simRun(root: string): Run {
  const store = StateStore.open(path.join(root, 'state-sim'));
  const sim = createSimBackend({ persistence: storeSimPersistence(store) });
  const service = createLayerService(store, sim);
  return {
    root,
    service,
    documents: () =>
      store
        .readLog()
        .filter((e) => e.ok)
        .map((e) => e.request as ModifySettingRequest & { Op?: string })
        .filter((r) => r.Op === undefined),
  };
}

function hcsRun(root: string, fake: FakeComputeCore): Run {
  const store = StateStore.open(path.join(root, 'state-hcs'));
  const backend: HcsBackend = createHcsBackend({
    api: { computecore: fake, vmcompute: new FakeVmCompute() },
    scratchDir: path.join(root, 'uvm-scratch'),
    windowsBuild: 19045,
  });
  const service = createLayerService(store, backend);
  return {
    root,
    service,
    documents: () => (fake.systems.get('u1')?.modifications ?? []) as ModifySettingRequest[],
  };
}

function setup() {
  const root = tempDir();
  cleanups.push(() => fs.rmSync(root, { recursive: true, force: true }));
  const boot = path.join(root, 'boot');
  fs.mkdirSync(boot);
  for (const f of ['kernel', 'initrd.img']) fs.writeFileSync(path.join(boot, f), 'x');
  return { root, boot, f: folders(root) };
}

describe('sim and hcs backends keep one contract', () => {
  it('the same mount and unmount send the same documents', async () => {
    const { root, boot, f } = setup();
    const fake = new FakeComputeCore();
    const recorded: ModifySettingRequest[][] = [];
    for (const run of [simRun(root), hcsRun(root, fake)]) {
      await run.service.createUvm({ id: 'u1', os: 'linux', vpmemCount: 1, bootFilesPath: boot });
      await run.service.mount({
        uvm: 'u1',
        guestRoot: '/run/gcs/c/a',
        layers: [f.base, f.app],
        scratch: f.scratch,
      });
      await run.service.unmount({ uvm: 'u1', guestRoot: '/run/gcs/c/a', ops: ['scsi'] });
      await run.service.unmount({ uvm: 'u1', guestRoot: '/run/gcs/c/a' });
      recorded.push(run.documents());
      await run.service.removeUvm({ id: 'u1' });
    }
    expect(recorded[0]).toHaveLength(8);
    expect(recorded[1]).toEqual(recorded[0]);
    const lifecycle = fake.calls
      .map((c) => c.fn)
      .filter((fn) => /Create|Start|Terminate|ShutDown/.test(fn) && fn !== 'HcsCreateOperation');
    expect(lifecycle).toEqual([
      'HcsCreateComputeSystem',
      'HcsStartComputeSystem',
      'HcsTerminateComputeSystem',
    ]);
    expect(fake.systems.size).toBe(0);
    fake.assertClean();
  });

  it('a refused request is an HCS_ERROR with its HRESULT, and the rollback undoes the same way', async () => {
    const { root, boot, f } = setup();
    const fake = new FakeComputeCore();
    const failing = createSimBackend({
      persistence: storeSimPersistence(StateStore.open(path.join(root, 'state-sim'))),
      failAt: 3,
    });
    const sim = simRun(root);
    const simService = createLayerService(StateStore.open(path.join(root, 'state-sim')), failing);
    const hcs = hcsRun(root, fake);
    await sim.service.createUvm({ id: 'u1', os: 'linux', vpmemCount: 1, bootFilesPath: boot });
    await hcs.service.createUvm({ id: 'u1', os: 'linux', vpmemCount: 1, bootFilesPath: boot });
    // The third modify fails: the scratch's add, after the base (vPMEM 0) and the app (SCSI fallback).
    fake.script('HcsModifyComputeSystem', {});
    fake.script('HcsModifyComputeSystem', {});
    fake.script('HcsModifyComputeSystem', {
      outcome: {
        hr: HRESULT.E_FAIL,
        document: JSON.stringify({
          Error: HRESULT.E_FAIL | 0,
          ErrorMessage: 'simulated HCS failure',
        }),
      },
    });
    const request = {
      uvm: 'u1',
      guestRoot: '/run/gcs/c/a',
      layers: [f.base, f.app],
      scratch: f.scratch,
    };
    const errors = [
      await simService.mount(request).catch((e: unknown) => e),
      await hcs.service.mount(request).catch((e: unknown) => e),
    ];
    for (const e of errors) expect(e).toMatchObject({ code: 'HCS_ERROR', hresult: HRESULT.E_FAIL });
    // Both applied: add vPMEM 0, add SCSI 0:0 (the app), then, after the failed scratch add, the two removes.
    expect(hcs.documents()).toEqual(sim.documents());
    expect(hcs.documents().map((d) => `${d.RequestType ?? ''} ${d.ResourcePath ?? ''}`)).toEqual([
      'Add VirtualMachine/Devices/VirtualPMem/Devices/0',
      'Add VirtualMachine/Devices/Scsi/0/Attachments/0',
      'Remove VirtualMachine/Devices/Scsi/0/Attachments/0',
      'Remove VirtualMachine/Devices/VirtualPMem/Devices/0',
    ]);
    await hcs.service.removeUvm({ id: 'u1' });
    fake.assertClean();
  });

  it('host (Argon) mounts make the same wclayer calls', async () => {
    const { root, f } = setup();
    const vmcompute = new FakeVmCompute();
    const store = StateStore.open(path.join(root, 'state-hcs'));
    const hcs = createLayerService(
      store,
      createHcsBackend({
        api: { computecore: new FakeComputeCore(), vmcompute },
        scratchDir: path.join(root, 'x'),
        windowsBuild: 19045,
      }),
    );
    const sim = simRun(root);
    for (const service of [sim.service, hcs]) {
      await service.mount({ guestRoot: '/c/argon', layers: [f.base, f.app], scratch: f.scratch });
      await service.unmount({ guestRoot: '/c/argon' });
    }
    const ops = (entries: { request: unknown }[]) =>
      entries.map((e) => (e.request as { Op: string }).Op);
    const expected = [
      'ActivateLayer',
      'PrepareLayer',
      'GetLayerMountPath',
      'UnprepareLayer',
      'DeactivateLayer',
    ];
    expect(ops(StateStore.open(path.join(root, 'state-sim')).readLog())).toEqual(expected);
    expect(ops(store.readLog())).toEqual(expected);
    expect(
      vmcompute.calls
        .map((c) => c.fn)
        .filter((fn) => expected.includes(fn))
        .filter((fn, i, all) => all.indexOf(fn) === i),
    ).toEqual(expected);
    expect(vmcompute.activated.size).toBe(0);
    expect(vmcompute.prepared.size).toBe(0);
  });
});
