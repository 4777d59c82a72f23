/**
 * The qemu backend must answer every document the way the simulator does wherever QEMU can do
 * the thing: the same refusal (code, HRESULT, message) for the same invalid document.
 */
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HcsBackend } from '../backend.js';
import type { ModifySettingRequest } from '../schema.js';
import { createMemoryPersistence, createSimBackend } from '../sim/index.js';
import { docs, LINUX_UVM, openRig, type Rig } from './testing/rig.js';

let rig: Rig;
let sim: HcsBackend;

beforeEach(async () => {
  rig = openRig();
  sim = createSimBackend({ persistence: createMemoryPersistence() });
  for (const backend of [rig.backend, sim]) {
    await backend.createUtilityVm({ id: 'u1', ...LINUX_UVM, vpmemCount: 2 });
    await backend.startUtilityVm('u1');
  }
});

afterEach(async () => {
  await sim.close();
  await rig.close();
});

interface Outcome {
  ok: boolean;
  code?: string;
  hresult?: number;
  message?: string;
}

async function outcome(backend: HcsBackend, doc: ModifySettingRequest): Promise<Outcome> {
  try {
    await backend.modify('u1', doc);
    return { ok: true };
  } catch (error) {
    const e = error as { code: string; hresult?: number; message: string };
    return {
      ok: false,
      code: e.code,
      hresult: e.hresult,
      // The simulator says "the simulator" where this backend says "the qemu backend".
      message: e.message
        .replace(/is not modelled by the simulator/g, 'is not supported by the qemu backend')
        .replace(/not modelled by the simulator/g, 'not supported by the qemu backend')
        .replace(/the simulator/g, 'the qemu backend'),
    };
  }
}

describe('same document, same answer as the simulator', () => {
  it('answers a sequence of valid and invalid documents identically', async () => {
    const l1 = rig.layer('l1');
    const l2 = rig.layer('l2');
    const scratch = rig.scratch('s1');
    for (const backend of [rig.backend, sim]) await backend.grantVmAccess('u1', scratch);
    const withField = (doc: ModifySettingRequest, field: string): ModifySettingRequest => ({
      ...doc,
      Settings: { ...(doc.Settings as object), [field]: true },
    });
    const passThru = docs.scsiAdd(0, 5, l1, '/run/mounts/m9', true);
    (passThru.Settings as { Type: string }).Type = 'PassThru';
    const mismatched = docs.scsiAdd(0, 6, l1, '/run/mounts/m8', true);
    (mismatched.GuestRequest?.Settings as { Lun: number }).Lun = 7;
    const sequence: ModifySettingRequest[] = [
      { ResourcePath: 'VirtualMachine/Devices/Nope/1', RequestType: 'Add' },
      withField(docs.scsiAdd(0, 0, l1, '/run/mounts/m1', true), 'Bogus'),
      docs.scsiAdd(0, 64, l1, '/run/mounts/m1', true),
      docs.scsiAdd(1, 0, l1, '/run/mounts/m1', true),
      docs.scsiAdd(0, 0, path.join(rig.root, 'missing.vhd'), '/run/mounts/m1', true),
      docs.scsiAdd(0, 0, l1, 'relative/path', true),
      passThru,
      mismatched,
      docs.scsiAdd(0, 0, l1, '/run/mounts/m1', true),
      docs.scsiAdd(0, 0, l2, '/run/mounts/m2', true),
      docs.scsiAdd(0, 1, l2, '/run/mounts/m1', true),
      docs.vpmemAdd(2, l2),
      docs.vpmemAdd(0, l2),
      docs.vpmemAdd(0, l1),
      docs.scsiRemove(0, 9, '/run/mounts/m9'),
      docs.scsiAdd(0, 2, scratch, '/run/gcs/c/1', false),
      docs.combine('/run/gcs/c/1/rootfs', ['/run/mounts/m1', '/run/layers/p1'], '/run/gcs/c/1'),
      docs.combine('/run/gcs/c/1/rootfs', ['/run/mounts/m1', '/run/layers/p0'], '/run/gcs/c/9'),
      docs.combine('/run/gcs/c/1/rootfs', ['/run/mounts/m1', '/run/layers/p0'], '/run/gcs/c/1'),
      docs.combine('/run/gcs/c/1/rootfs', ['/run/mounts/m1'], '/run/gcs/c/1'),
      docs.scsiRemove(0, 0, '/run/mounts/m1'),
      docs.vpmemRemove(0),
      { GuestRequest: { ResourceType: 'MappedVirtualDisk', RequestType: 'Add', Settings: {} } },
      docs.uncombine('/run/gcs/c/2/rootfs'),
      docs.uncombine('/run/gcs/c/1/rootfs'),
      docs.scsiRemove(0, 0, '/run/mounts/m1'),
      docs.vpmemRemove(0),
      docs.vpmemRemove(0),
      docs.scsiRemove(0, 2, '/run/gcs/c/1'),
    ];
    const answers: [Outcome, Outcome][] = [];
    for (const doc of sequence)
      answers.push([await outcome(rig.backend, doc), await outcome(sim, doc)]);
    for (const [i, [qemu, simulated]] of answers.entries()) {
      expect({ i, ...qemu }).toEqual({ i, ...simulated });
    }
    // The sequence exercised both kinds of answer.
    expect(answers.filter(([q]) => q.ok).length).toBeGreaterThan(5);
    expect(answers.filter(([q]) => !q.ok).length).toBeGreaterThan(10);
    const back = await rig.backend.readBack('u1');
    expect([back.scsi, back.pmem.filter((p) => p.status === 'active')]).toEqual([[], []]);
  });
});
