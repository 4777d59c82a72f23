/**
 * The engine over the qemu backend (fake VMs): the documents it sends for a real mount with
 * vPMEM and SCSI layers are carried out, the read-back matches the ledger, and a failure at any
 * request leaves no QEMU device behind.
 */
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLayerService } from '../../engine/service.js';
import type { LayerService } from '../../engine/service-api.js';
import { StateStore } from '../../store/state-store.js';
import { failingAt } from './testing/failing-backend.js';
import { openRig, type Rig } from './testing/rig.js';

let rig: Rig;
let store: StateStore;
let service: LayerService;

beforeEach(async () => {
  rig = openRig();
  store = StateStore.open(path.join(rig.root, 'store'));
  service = createLayerService(store, rig.backend);
  await service.createUvm({
    id: 'u1',
    os: 'linux',
    vpmemCount: 1,
    vpmemMaxSizeBytes: 64 * 1024 * 1024,
  });
});

afterEach(async () => {
  await service.close();
  await rig.close();
});

function folders(): { layers: string[]; scratch: string } {
  return {
    layers: ['base', 'mid', 'top'].map((name) => path.dirname(rig.layer(name, 2))),
    scratch: path.dirname(rig.scratch('scratch')),
  };
}

describe('the engine on the qemu backend', () => {
  it('mounts three layers (vPMEM and SCSI) and a scratch, matches the ledger, and unmounts', async () => {
    const { layers, scratch } = folders();
    const { rootfs } = await service.mount({
      uvm: 'u1',
      guestRoot: '/run/gcs/c/c1',
      layers,
      scratch,
    });
    expect(rootfs).toBe('/run/gcs/c/c1/rootfs');
    const agent = rig.vm('u1').agent;
    expect(agent.calls.find((c) => c.op === 'overlay')?.args).toEqual({
      lowers: ['/run/mounts/m2', '/run/mounts/m1', '/run/layers/p0'],
      scratch: '/run/gcs/c/c1',
      target: '/run/gcs/c/c1/rootfs',
    });
    const view = await service.showUvm('u1');
    const mounted = await rig.backend.readBack('u1');
    expect(mounted.scsi.map((d) => `${d.controller}:${d.lun} ${d.readOnly ? 'ro' : 'rw'}`)).toEqual(
      ['0:0 ro', '0:1 ro', '0:2 rw'],
    );
    expect(mounted.pmem.map((p) => p.status)).toEqual(['active']);
    expect(rig.backend.compare(mounted, view)).toEqual([]);

    await service.unmount({ uvm: 'u1', guestRoot: '/run/gcs/c/c1' });
    const after = await rig.backend.readBack('u1');
    expect(after.scsi).toEqual([]);
    expect(after.blockNodes).toEqual([]);
    expect(after.pmem.map((p) => p.status)).toEqual(['parked']);
    expect(after.guestMounts.map((m) => m.target)).toEqual(['/', '/proc']);
    expect(rig.backend.compare(after, await service.showUvm('u1'))).toEqual([]);
  });

  it('a mismatch between the ledger and the VM is reported as data', async () => {
    const { layers, scratch } = folders();
    await service.mount({ uvm: 'u1', guestRoot: '/run/gcs/c/c1', layers, scratch });
    const vm = rig.vm('u1');
    vm.agent.mounts.delete('/run/mounts/m1');
    vm.qmp.devices.delete([...vm.qmp.devices.entries()].find(([, d]) => d.lun === 1)?.[0] ?? '');
    const mismatches = rig.backend.compare(
      await rig.backend.readBack('u1'),
      await service.showUvm('u1'),
    );
    expect(mismatches.map((m) => `${m.kind} ${m.subject}`).sort()).toEqual([
      'mount-missing /run/mounts/m1',
      'orphan-block-node scsi3',
      'orphan-block-node scsi3-file',
      'scsi-missing scsi 0:1',
    ]);
  });

  for (const n of [1, 2, 3, 4, 5]) {
    it(`a failure at modify ${n} of the mount leaves no QEMU device and no guest mount behind`, async () => {
      const { layers, scratch } = folders();
      const faulty = createLayerService(store, failingAt(rig.backend, n));
      await expect(
        faulty.mount({ uvm: 'u1', guestRoot: '/run/gcs/c/c1', layers, scratch }),
      ).rejects.toMatchObject({
        message: expect.stringContaining(`injected failure of modify ${n}`) as unknown,
      });
      const back = await rig.backend.readBack('u1');
      expect(back.scsi).toEqual([]);
      expect(back.blockNodes).toEqual([]);
      expect(back.pmem.filter((p) => p.status === 'active')).toEqual([]);
      expect(back.guestMounts.map((m) => m.target)).toEqual(['/', '/proc']);
      expect(rig.backend.compare(back, await service.showUvm('u1'))).toEqual([]);
      expect(await service.containers('u1')).toEqual([]);
      // The next mount works.
      await service.mount({ uvm: 'u1', guestRoot: '/run/gcs/c/c1', layers, scratch });
      expect(
        rig.backend.compare(await rig.backend.readBack('u1'), await service.showUvm('u1')),
      ).toEqual([]);
    });
  }

  it('removing the UVM stops its QEMU', async () => {
    await service.removeUvm({ id: 'u1' });
    expect(rig.host.vms.size).toBe(0);
    expect(await rig.backend.enumerate()).toEqual([]);
  });
});
