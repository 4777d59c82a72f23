import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HRESULT } from '../hresult.js';
import type { ModifySettingRequest } from '../schema.js';
import { loadState } from './qemu-state.js';
import { runFiles } from './run-files.js';
import { docs, LINUX_UVM, MiB, openRig, type Rig } from './testing/rig.js';

let rig: Rig;

beforeEach(() => {
  rig = openRig();
});

afterEach(async () => {
  await rig.close();
});

async function running(id = 'u1', config: Partial<typeof LINUX_UVM> = {}): Promise<void> {
  await rig.backend.createUtilityVm({ id, ...LINUX_UVM, ...config });
  await rig.backend.startUtilityVm(id);
}

/** The QMP commands that change something since `from`, as [command, arguments]. */
function qmpChanges(id = 'u1', from = 0): [string, Record<string, unknown>][] {
  return rig
    .vm(id)
    .qmp.changes()
    .slice(from)
    .map((c) => [c.execute, c.arguments]);
}

function agentOps(id = 'u1'): string[] {
  return rig.vm(id).agent.ops();
}

async function refusal(
  promise: Promise<unknown>,
): Promise<{ code: string; hresult?: number; message: string }> {
  const error = (await promise.then(
    () => {
      throw new Error('expected a refusal');
    },
    (e: unknown) => e,
  )) as { code: string; hresult?: number; message: string };
  return error;
}

describe('utility VM lifecycle', () => {
  it('create only writes state; start boots QEMU with TCG and waits for the agent', async () => {
    await rig.backend.createUtilityVm({ id: 'u1', ...LINUX_UVM });
    expect(rig.host.vms.size).toBe(0);
    expect(await rig.backend.enumerate()).toEqual([
      {
        id: 'u1',
        systemType: 'VirtualMachine',
        state: 'Created',
        owner: 'uvm-layers',
        runtimeOsType: 'Linux',
      },
    ]);
    await rig.backend.startUtilityVm('u1');
    const vm = rig.vm('u1');
    expect(vm.argv.join(' ')).toContain('-accel tcg');
    expect(vm.agent.calls.map((c) => c.op)).toEqual(['hello']);
    expect((await rig.backend.enumerate())[0]?.state).toBe('Running');
    const state = loadState(runFiles(rig.stateDir, 'u1'));
    expect(state?.process).toMatchObject({ pid: vm.pid, accel: 'tcg' });
    expect(fs.readFileSync(runFiles(rig.stateDir, 'u1').pid, 'utf8').trim()).toBe(String(vm.pid));
  });

  it('terminate quits QEMU through QMP and removes the run folder', async () => {
    await running();
    const vm = rig.vm('u1');
    await rig.backend.terminateUtilityVm('u1');
    expect(vm.qmp.calls.at(-1)?.execute).toBe('quit');
    expect(rig.host.vms.size).toBe(0);
    expect(fs.existsSync(runFiles(rig.stateDir, 'u1').dir)).toBe(false);
    expect(await rig.backend.enumerate()).toEqual([]);
    expect((await refusal(rig.backend.terminateUtilityVm('u1'))).hresult).toBe(
      HRESULT.HCS_E_SYSTEM_NOT_FOUND,
    );
  });

  it('refuses Windows guests, duplicates, bad configs, unknown ids and a second start', async () => {
    expect(
      await refusal(rig.backend.createUtilityVm({ id: 'w', ...LINUX_UVM, os: 'windows' })),
    ).toMatchObject({
      hresult: HRESULT.E_NOTIMPL,
      message: expect.stringContaining('the qemu backend runs Linux utility VMs only') as unknown,
    });
    await rig.backend.createUtilityVm({ id: 'u1', ...LINUX_UVM });
    expect((await refusal(rig.backend.createUtilityVm({ id: 'u1', ...LINUX_UVM }))).hresult).toBe(
      HRESULT.ERROR_ALREADY_EXISTS,
    );
    expect(
      (await refusal(rig.backend.createUtilityVm({ id: 'u2', ...LINUX_UVM, scsiControllers: 5 })))
        .hresult,
    ).toBe(HRESULT.E_INVALIDARG);
    expect((await refusal(rig.backend.startUtilityVm('nope'))).hresult).toBe(
      HRESULT.HCS_E_SYSTEM_NOT_FOUND,
    );
    expect(await refusal(rig.backend.modify('u1', docs.uncombine('/x')))).toMatchObject({
      hresult: HRESULT.HCS_E_INVALID_STATE,
      message: expect.stringContaining('is Created, not Running') as unknown,
    });
    await rig.backend.startUtilityVm('u1');
    expect((await refusal(rig.backend.startUtilityVm('u1'))).hresult).toBe(
      HRESULT.HCS_E_INVALID_STATE,
    );
  });

  it('a missing image is BACKEND_UNAVAILABLE naming the build command', async () => {
    const { createQemuBackend } = await import('./qemu-backend.js');
    const backend = createQemuBackend({ stateDir: rig.stateDir, host: rig.host, accel: 'tcg' });
    await backend.createUtilityVm({ id: 'u1', ...LINUX_UVM });
    expect(await refusal(backend.startUtilityVm('u1'))).toMatchObject({
      code: 'BACKEND_UNAVAILABLE',
      message: 'no utility VM image: run `uvm-layers image build` (npm run uvm-image)',
    });
  });

  it('a boot whose agent never answers fails, kills QEMU and leaves the UVM Created', async () => {
    rig.host.hangBoot = true;
    await rig.backend.createUtilityVm({ id: 'u1', ...LINUX_UVM });
    expect(await refusal(rig.backend.startUtilityVm('u1'))).toMatchObject({
      code: 'BACKEND_UNAVAILABLE',
      message: expect.stringContaining('did not boot under TCG') as unknown,
    });
    expect(rig.host.vms.size).toBe(0);
    expect((await rig.backend.enumerate())[0]?.state).toBe('Created');
  });

  it('a UVM whose QEMU died is Stopped, refuses modify with HCS_E_SYSTEM_NOT_FOUND, and can be removed', async () => {
    await running();
    await rig.host.exit(rig.vm('u1').pid);
    expect((await rig.backend.enumerate())[0]?.state).toBe('Stopped');
    expect(await refusal(rig.backend.modify('u1', docs.uncombine('/x')))).toMatchObject({
      hresult: HRESULT.HCS_E_SYSTEM_NOT_FOUND,
      message: expect.stringContaining('is gone') as unknown,
    });
    expect((await rig.backend.readBack('u1')).state).toBe('Stopped');
    await rig.backend.terminateUtilityVm('u1');
    expect(await rig.backend.enumerate()).toEqual([]);
  });

  it('a new backend object (the next CLI process) reattaches from state.json', async () => {
    await running();
    const layer = rig.layer('l1');
    await rig.backend.modify('u1', docs.scsiAdd(0, 0, layer, '/run/mounts/m1', true));
    await rig.backend.close();
    const next = rig.reopen();
    expect((await next.enumerate())[0]?.state).toBe('Running');
    await next.modify('u1', docs.scsiRemove(0, 0, '/run/mounts/m1'));
    expect(rig.vm('u1').qmp.devices.size).toBe(0);
    expect(rig.host.vms.size).toBe(1);
    await expect(rig.backend.enumerate()).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
  });
});

describe('SCSI documents', () => {
  it('adds a read-only layer: file node, raw node sized to the VHD data, scsi-hd at target/lun, then mounts it', async () => {
    await running();
    const layer = rig.layer('l1', 4);
    await rig.backend.modify('u1', docs.scsiAdd(0, 3, layer, '/run/mounts/m1', true));
    expect(qmpChanges()).toEqual([
      [
        'blockdev-add',
        { 'node-name': 'scsi1-file', driver: 'file', filename: layer, 'read-only': true },
      ],
      [
        'blockdev-add',
        {
          'node-name': 'scsi1',
          driver: 'raw',
          file: 'scsi1-file',
          'read-only': true,
          size: 4 * MiB,
        },
      ],
      [
        'device_add',
        {
          driver: 'scsi-hd',
          id: 'scsi1-dev',
          bus: 'scsi0.0',
          drive: 'scsi1',
          'scsi-id': 0,
          lun: 3,
        },
      ],
    ]);
    expect(rig.vm('u1').agent.calls.filter((c) => c.op !== 'hello')).toEqual([
      {
        op: 'mount_scsi',
        args: { target: 0, lun: 3, path: '/run/mounts/m1', readOnly: true, timeoutMs: 10000 },
      },
    ]);
  });

  it('adds a read-write scratch after GrantVmAccess: vhdx node, format if blank, mount rw', async () => {
    await running();
    const scratch = rig.scratch('s1');
    const add = docs.scsiAdd(0, 1, scratch, '/run/gcs/c/1', false);
    expect(await refusal(rig.backend.modify('u1', add))).toMatchObject({
      hresult: HRESULT.E_ACCESSDENIED,
    });
    expect(qmpChanges()).toEqual([]);
    await rig.backend.grantVmAccess('u1', scratch);
    await rig.backend.modify('u1', add);
    expect(qmpChanges().map(([c, a]) => [c, a['driver']])).toEqual([
      ['blockdev-add', 'file'],
      ['blockdev-add', 'vhdx'],
      ['device_add', 'scsi-hd'],
    ]);
    expect(qmpChanges()[1]?.[1]['read-only']).toBe(false);
    expect(agentOps()).toEqual(['format_if_blank', 'mount_scsi']);
  });

  it('removes: guest unmount and eject, then device_del, DEVICE_DELETED, blockdev-del of both nodes', async () => {
    await running();
    await rig.backend.modify('u1', docs.scsiAdd(0, 0, rig.layer('l1'), '/run/mounts/m1', true));
    const before = rig.vm('u1').qmp.changes().length;
    await rig.backend.modify('u1', docs.scsiRemove(0, 0, '/run/mounts/m1'));
    expect(qmpChanges('u1', before)).toEqual([
      ['device_del', { id: 'scsi1-dev' }],
      ['blockdev-del', { 'node-name': 'scsi1' }],
      ['blockdev-del', { 'node-name': 'scsi1-file' }],
    ]);
    expect(agentOps()).toEqual(['mount_scsi', 'unmount', 'scsi_unplug']);
    expect(rig.vm('u1').qmp.nodes.size).toBe(0);
    expect((await rig.backend.readBack('u1')).scsi).toEqual([]);
  });

  it('refuses what QEMU cannot attach before sending anything', async () => {
    await running();
    const raw = path.join(rig.root, 'raw.img');
    fs.writeFileSync(raw, Buffer.alloc(MiB));
    expect(
      await refusal(rig.backend.modify('u1', docs.scsiAdd(0, 0, raw, '/m', true))),
    ).toMatchObject({
      hresult: HRESULT.E_INVALIDARG,
      message: expect.stringContaining('neither a VHD') as unknown,
    });
    const iso = docs.scsiAdd(0, 0, rig.layer('l1'), '/m', true);
    (iso.Settings as { Type: string }).Type = 'Iso';
    expect((await refusal(rig.backend.modify('u1', iso))).hresult).toBe(HRESULT.E_NOTIMPL);
    expect(qmpChanges()).toEqual([]);
  });
});

describe('vPMEM documents', () => {
  it('adds a read-only file backend sized to the data and a virtio-pmem at a managed 2 MiB-aligned memaddr', async () => {
    await running();
    const layer = rig.layer('l1', 8);
    await rig.backend.modify('u1', docs.vpmemAdd(0, layer));
    expect(qmpChanges()).toEqual([
      [
        'object-add',
        {
          'qom-type': 'memory-backend-file',
          id: 'pmem1-mem',
          'mem-path': layer,
          size: 8 * MiB,
          share: true,
          readonly: true,
        },
      ],
      [
        'device_add',
        {
          driver: 'virtio-pmem-pci',
          id: 'pmem1',
          memdev: 'pmem1-mem',
          bus: 'rp1',
          memaddr: 4 * 1024 ** 3,
        },
      ],
    ]);
    expect(rig.vm('u1').agent.calls.filter((c) => c.op !== 'hello')).toEqual([
      {
        op: 'mount_pmem',
        args: { memaddr: 4 * 1024 ** 3, path: '/run/layers/p0', timeoutMs: 10000 },
      },
    ]);
  });

  it('parks a removed device (no device_del) and never reuses its port or address', async () => {
    await running();
    await rig.backend.modify('u1', docs.vpmemAdd(0, rig.layer('l1', 8)));
    await rig.backend.modify('u1', docs.vpmemRemove(0));
    expect(qmpChanges().map(([c]) => c)).toEqual(['object-add', 'device_add']);
    expect(agentOps()).toEqual(['mount_pmem', 'unmount']);
    const back = await rig.backend.readBack('u1');
    expect(back.pmem).toEqual([
      expect.objectContaining({ deviceId: 'pmem1', status: 'parked', device: 0, port: 'rp1' }),
    ]);
    expect(back.recorded.parked[0]?.parked?.reason).toMatch(/cannot unplug/);
    await rig.backend.modify('u1', docs.vpmemAdd(0, rig.layer('l2', 2)));
    expect(qmpChanges().slice(2)[1]).toEqual([
      'device_add',
      {
        driver: 'virtio-pmem-pci',
        id: 'pmem2',
        memdev: 'pmem2-mem',
        bus: 'rp2',
        memaddr: 4 * 1024 ** 3 + 8 * MiB,
      },
    ]);
    expect(
      rig.backend.compare(await rig.backend.readBack('u1'), {
        scsi: [],
        vpmem: [
          {
            device: 0,
            hostPath: path.join(rig.root, 'l2', 'layer.vhd'),
            uvmPath: '/run/layers/p0',
          },
        ],
        combinedLayers: [],
      }),
    ).toEqual([]);
  });

  it('refuses data that is not a multiple of 2 MiB, and images that are not fixed VHDs', async () => {
    await running();
    const odd = path.join(rig.root, 'odd.vhd');
    const { writeFixedVhd } = await import('./testing/vhd-fixture.js');
    writeFixedVhd(odd, 10 * MiB + 4096);
    expect(await refusal(rig.backend.modify('u1', docs.vpmemAdd(0, odd)))).toMatchObject({
      hresult: HRESULT.E_INVALIDARG,
      message: expect.stringContaining('not a multiple of 2 MiB') as unknown,
    });
    expect(
      await refusal(rig.backend.modify('u1', docs.vpmemAdd(0, rig.scratch('s')))),
    ).toMatchObject({
      hresult: HRESULT.E_INVALIDARG,
      message: expect.stringContaining('VHDX') as unknown,
    });
    expect(qmpChanges()).toEqual([]);
  });

  it('says NO_AVAILABLE_LOCATION once parked devices hold every root port (the engine falls back to SCSI)', async () => {
    await running('u1', { vpmemCount: 1 });
    const ports = loadState(runFiles(rig.stateDir, 'u1'))?.layout.rootPorts.length ?? 0;
    expect(ports).toBe(9);
    const layer = rig.layer('l1', 2);
    for (let i = 0; i < ports; i++) {
      await rig.backend.modify('u1', docs.vpmemAdd(0, layer));
      await rig.backend.modify('u1', docs.vpmemRemove(0));
    }
    expect(await refusal(rig.backend.modify('u1', docs.vpmemAdd(0, layer)))).toMatchObject({
      code: 'NO_AVAILABLE_LOCATION',
      message: expect.stringContaining('9 by parked devices') as unknown,
    });
  });

  it('refuses multi-mapped vPMEM documents clearly', async () => {
    await running('u1', { vpmemMultiMapping: true });
    const mapping: ModifySettingRequest = {
      ResourcePath: 'VirtualMachine/Devices/VirtualPMem/Devices/0/Mappings/0',
      RequestType: 'Add',
      Settings: { HostPath: rig.layer('l1'), ImageFormat: 'Vhd1' },
      GuestRequest: {
        ResourceType: 'VPMemDevice',
        RequestType: 'Add',
        Settings: {
          MountPath: '/run/layers/p0-0-4194304',
          MappingInfo: { DeviceSizeInBytes: 4 * MiB },
        },
      },
    };
    expect(await refusal(rig.backend.modify('u1', mapping))).toMatchObject({
      hresult: HRESULT.E_NOTIMPL,
      message: expect.stringContaining(
        'multi-mapped vPMEM is not supported by the qemu backend; create the UVM without --vpmem-multi-mapping',
      ) as unknown,
    });
  });
});

describe('combined layers', () => {
  it('overlays the layers top-most first with the scratch, and unmounts the root on remove', async () => {
    await running('u1', { vpmemCount: 0 });
    const [l1, l2, s] = [rig.layer('l1'), rig.layer('l2'), rig.scratch('s')];
    await rig.backend.modify('u1', docs.scsiAdd(0, 0, l1, '/run/mounts/m1', true));
    await rig.backend.modify('u1', docs.scsiAdd(0, 1, l2, '/run/mounts/m2', true));
    await rig.backend.grantVmAccess('u1', s);
    await rig.backend.modify('u1', docs.scsiAdd(0, 2, s, '/run/gcs/c/1', false));
    await rig.backend.modify(
      'u1',
      docs.combine('/run/gcs/c/1/rootfs', ['/run/mounts/m1', '/run/mounts/m2'], '/run/gcs/c/1'),
    );
    expect(rig.vm('u1').agent.calls.at(-1)).toEqual({
      op: 'overlay',
      args: {
        lowers: ['/run/mounts/m2', '/run/mounts/m1'],
        scratch: '/run/gcs/c/1',
        target: '/run/gcs/c/1/rootfs',
      },
    });
    // The guest refuses to unmount a layer the overlay uses, and so does the model, first.
    expect(
      (await refusal(rig.backend.modify('u1', docs.scsiRemove(0, 0, '/run/mounts/m1')))).hresult,
    ).toBe(HRESULT.ERROR_BUSY);
    await rig.backend.modify('u1', docs.uncombine('/run/gcs/c/1/rootfs'));
    expect(rig.vm('u1').agent.calls.at(-1)).toEqual({
      op: 'unmount',
      args: { path: '/run/gcs/c/1/rootfs', removeDir: true },
    });
  });

  it('refuses VSMB on a Linux UVM', async () => {
    await running();
    const vsmb: ModifySettingRequest = {
      ResourcePath: 'VirtualMachine/Devices/VirtualSmb/Shares',
      RequestType: 'Add',
      Settings: { Name: 's1', Path: rig.root },
    };
    expect(await refusal(rig.backend.modify('u1', vsmb))).toMatchObject({
      hresult: HRESULT.E_INVALIDARG,
      message: expect.stringContaining('VSMB shares exist only on Windows utility VMs') as unknown,
    });
  });
});

describe('failures leave nothing behind', () => {
  it('a refused device_add deletes both block nodes; the same document then succeeds', async () => {
    await running();
    const layer = rig.layer('l1');
    rig
      .vm('u1')
      .qmp.failWhen(
        (c) => c.execute === 'device_add',
        "Bus 'scsi0.0' does not support hotplugging",
      );
    expect(
      await refusal(rig.backend.modify('u1', docs.scsiAdd(0, 0, layer, '/run/mounts/m1', true))),
    ).toMatchObject({
      hresult: HRESULT.E_FAIL,
      message: expect.stringContaining(
        "QEMU refused device_add: Bus 'scsi0.0' does not support hotplugging",
      ) as unknown,
    });
    expect(qmpChanges().map(([c]) => c)).toEqual([
      'blockdev-add',
      'blockdev-add',
      'device_add',
      'blockdev-del',
      'blockdev-del',
    ]);
    expect(rig.vm('u1').qmp.nodes.size).toBe(0);
    await rig.backend.modify('u1', docs.scsiAdd(0, 0, layer, '/run/mounts/m1', true));
    expect(rig.vm('u1').qmp.devices.size).toBe(1);
  });

  it('a failed guest mount ejects and unplugs the disk again, and the model stays as it was', async () => {
    await running();
    const layer = rig.layer('l1');
    rig.vm('u1').agent.failOp('mount_scsi', 'EIO');
    expect(
      await refusal(rig.backend.modify('u1', docs.scsiAdd(0, 0, layer, '/run/mounts/m1', true))),
    ).toMatchObject({
      hresult: HRESULT.E_FAIL,
      message: expect.stringContaining('[EIO]') as unknown,
    });
    expect(agentOps()).toEqual(['mount_scsi', 'scsi_unplug']);
    expect(
      qmpChanges()
        .map(([c]) => c)
        .slice(3),
    ).toEqual(['device_del', 'blockdev-del', 'blockdev-del']);
    const back = await rig.backend.readBack('u1');
    expect([back.scsi, back.blockNodes, back.orphanNodes]).toEqual([[], [], []]);
    await rig.backend.modify('u1', docs.scsiAdd(0, 0, layer, '/run/mounts/m1', true));
  });

  it('when undoing also fails, the error is ROLLBACK_FAILED and names what is left', async () => {
    await running();
    rig.vm('u1').agent.failOp('mount_scsi', 'EIO');
    rig.vm('u1').qmp.failWhen((c) => c.execute === 'device_del', 'Bus does not support hot-unplug');
    expect(
      await refusal(rig.backend.modify('u1', docs.scsiAdd(0, 0, rig.layer('l1'), '/m1', true))),
    ).toMatchObject({
      code: 'ROLLBACK_FAILED',
      hresult: HRESULT.E_FAIL,
      message: expect.stringMatching(
        /\[EIO\].*; undoing the steps already done also failed: detach scsi1-dev: .*hot-unplug/,
      ) as unknown,
    });
    // The read-back shows the disk the failed undo left attached.
    const back = await rig.backend.readBack('u1');
    expect(back.scsi.map((d) => d.recordedAs)).toEqual(['0:0']);
    expect(
      rig.backend.compare(back, { scsi: [], vpmem: [], combinedLayers: [] }).map((m) => m.kind),
    ).toEqual(['scsi-unexpected']);
    // What is left stays pending, and the next modify removes it before its own work.
    expect(back.pending.map((p) => p.kind)).toContain('scsi-device');
    await rig.backend.modify('u1', docs.scsiAdd(0, 0, rig.layer('l1'), '/m1', true));
    const healed = await rig.backend.readBack('u1');
    expect([healed.scsi.length, healed.orphanNodes, healed.pending]).toEqual([1, [], []]);
  });

  it('a failed pmem mount parks the device it could not unplug', async () => {
    await running();
    rig.vm('u1').agent.failOp('mount_pmem', 'ETIMEDOUT');
    expect(
      (await refusal(rig.backend.modify('u1', docs.vpmemAdd(0, rig.layer('l1', 2))))).hresult,
    ).toBe(HRESULT.HCS_E_OPERATION_TIMEOUT);
    const back = await rig.backend.readBack('u1');
    expect(back.pmem.map((p) => p.status)).toEqual(['parked']);
    expect(back.recorded.pmem).toEqual([]);
    await rig.backend.modify('u1', docs.vpmemAdd(0, rig.layer('l1', 2)));
    expect((await rig.backend.readBack('u1')).pmem.map((p) => [p.status, p.port])).toEqual([
      ['parked', 'rp1'],
      ['active', 'rp2'],
    ]);
  });

  it('a refused object-add sends nothing more; a refused pmem device_add deletes the backend again', async () => {
    await running();
    const layer = rig.layer('l1', 2);
    rig.vm('u1').qmp.failWhen((c) => c.execute === 'device_add');
    await refusal(rig.backend.modify('u1', docs.vpmemAdd(0, layer)));
    expect(qmpChanges().map(([c]) => c)).toEqual(['object-add', 'device_add', 'object-del']);
    expect(rig.vm('u1').qmp.objects.size).toBe(0);
    expect(loadState(runFiles(rig.stateDir, 'u1'))?.parked).toEqual([]);
  });

  it('a remove that failed half-way completes when retried', async () => {
    await running();
    await rig.backend.modify('u1', docs.scsiAdd(0, 0, rig.layer('l1'), '/run/mounts/m1', true));
    rig.vm('u1').qmp.failWhen((c) => c.execute === 'blockdev-del');
    await refusal(rig.backend.modify('u1', docs.scsiRemove(0, 0, '/run/mounts/m1')));
    // Unmounted, ejected and unplugged, but one node is left: the retry finishes the job.
    await rig.backend.modify('u1', docs.scsiRemove(0, 0, '/run/mounts/m1'));
    expect(rig.vm('u1').qmp.nodes.size).toBe(0);
    expect(agentOps()).toEqual(['mount_scsi', 'unmount', 'scsi_unplug', 'unmount', 'scsi_unplug']);
    expect(
      await refusal(rig.backend.modify('u1', docs.scsiRemove(0, 0, '/run/mounts/m1'))),
    ).toMatchObject({
      hresult: HRESULT.ERROR_NOT_FOUND,
    });
  });
});

describe('agent access', () => {
  it('lists, stats, reads and writes guest files through the agent', async () => {
    await running();
    const agent = rig.vm('u1').agent;
    agent.directories.set('/run', [{ name: 'x', type: 'file', size: 5, mode: 0o644 }]);
    expect(await rig.backend.listDirectory('u1', '/run')).toEqual([
      { name: 'x', type: 'file', size: 5, mode: 0o644 },
    ]);
    expect((await rig.backend.statPath('u1', '/run/x')).size).toBe(5);
    await rig.backend.writeGuestFile('u1', '/run/y', Buffer.from('hi'));
    expect((await rig.backend.readGuestFile('u1', '/run/y')).data.toString()).toBe('hi');
    expect((await rig.backend.guestMounts('u1')).map((m) => m.target)).toEqual(['/', '/proc']);
    expect((await refusal(rig.backend.listDirectory('u1', '/nope'))).hresult).toBe(
      HRESULT.ERROR_PATH_NOT_FOUND,
    );
  });
});

describe('a process that dies in the middle of a document', () => {
  /** Runs `doc`, but leaves state.json as it was when the agent got `op`: the writer died there. */
  async function dieDuring(doc: ModifySettingRequest, op: string): Promise<void> {
    const file = runFiles(rig.stateDir, 'u1').state;
    let snapshot: string | undefined;
    rig.vm('u1').agent.onRequest = (name) => {
      if (name === op) snapshot = fs.readFileSync(file, 'utf8');
    };
    await rig.backend.modify('u1', doc);
    rig.vm('u1').agent.onRequest = undefined;
    if (snapshot === undefined) throw new Error(`${op} was never sent`);
    fs.writeFileSync(file, snapshot);
  }

  it('leaves a SCSI disk that the next call unmounts, ejects and unplugs before judging', async () => {
    await running();
    await rig.backend.modify('u1', docs.scsiAdd(0, 0, rig.layer('l1'), '/run/mounts/m1', true));
    await dieDuring(docs.scsiAdd(0, 1, rig.layer('l2'), '/run/mounts/m2', true), 'mount_scsi');
    const next = rig.reopen();
    const before = await next.readBack('u1');
    expect(before.pending.map((p) => p.kind)).toEqual([
      'block-node',
      'block-node',
      'scsi-device',
      'guest-mount',
    ]);
    expect(before.scsi).toHaveLength(2);
    // The engine's recovery sends the undo of the in-doubt add; the model never had the disk.
    expect(
      (await refusal(next.modify('u1', docs.scsiRemove(0, 1, '/run/mounts/m2')))).hresult,
    ).toBe(HRESULT.ERROR_NOT_FOUND);
    const after = await next.readBack('u1');
    expect(after.pending).toEqual([]);
    expect(after.scsi.map((d) => d.recordedAs)).toEqual(['0:0']);
    expect(after.orphanNodes).toEqual([]);
    expect(after.guestMounts.map((m) => m.target)).toEqual(['/', '/proc', '/run/mounts/m1']);
    await next.modify('u1', docs.scsiAdd(0, 1, rig.layer('l2'), '/run/mounts/m2', true));
  });

  it('leaves a vPMEM device that the next call unmounts and parks', async () => {
    await running();
    await dieDuring(docs.vpmemAdd(0, rig.layer('l1', 2)), 'mount_pmem');
    const next = rig.reopen();
    await next.grantVmAccess('u1', rig.scratch('s'));
    const back = await next.readBack('u1');
    expect(back.pending).toEqual([]);
    expect(back.pmem.map((p) => p.status)).toEqual(['parked']);
    expect(back.guestMounts.map((m) => m.target)).toEqual(['/', '/proc']);
    expect(next.compare(back, { scsi: [], vpmem: [], combinedLayers: [] })).toEqual([]);
    await next.modify('u1', docs.vpmemAdd(0, rig.layer('l1', 2)));
    expect((await next.readBack('u1')).pmem.map((p) => p.port)).toEqual(['rp1', 'rp2']);
  });
});
