/** LCOW happy paths: vPMEM (single and multi-mapping), SCSI layer and scratch, combine, teardown. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LCOW, docs, makeFiles, runningUvm, sandbox, vhd, type Files } from './sim-fixtures.js';
import { newSystemState } from './sim-state.js';

let f: Files;
beforeAll(() => {
  f = makeFiles();
});
afterAll(() => f.cleanup());

const ROOT = '/run/gcs/c/c1/rootfs';

describe('sim LCOW', () => {
  it('mounts a vPMEM layer, a SCSI layer and a scratch, combines them, and undoes it in reverse', async () => {
    const { backend, id } = await runningUvm(LCOW);
    await backend.modify(id, docs.vpmemAdd(0, vhd(f.layerA)));
    await backend.modify(id, docs.lcowScsiAdd(0, 0, vhd(f.bigLayer), true, '/run/mounts/m1'));
    await backend.grantVmAccess(id, sandbox(f.scratch));
    await backend.modify(id, docs.lcowScsiAdd(0, 1, sandbox(f.scratch), false, '/run/mounts/m2'));
    await backend.modify(
      id,
      docs.lcowCombine(ROOT, ['/run/layers/p0', '/run/mounts/m1'], '/run/mounts/m2'),
    );

    const state = backend.inspect(id);
    expect(state?.state).toBe('Running');
    expect(state?.scsi).toEqual({
      '0:0': { path: vhd(f.bigLayer), readOnly: true, type: 'VirtualDisk' },
      '0:1': { path: sandbox(f.scratch), readOnly: false, type: 'VirtualDisk' },
    });
    expect(state?.vpmem).toEqual({
      '0': { hostPath: vhd(f.layerA), sizeBytes: 8192, readOnly: true, imageFormat: 'Vhd1' },
    });
    expect(state?.guest).toEqual({
      mounts: {
        '/run/layers/p0': { source: 'vpmem 0', readOnly: true },
        '/run/mounts/m1': { source: 'scsi 0:0', readOnly: true },
        '/run/mounts/m2': { source: 'scsi 0:1', readOnly: false },
      },
      combined: {
        [ROOT]: { layers: ['/run/layers/p0', '/run/mounts/m1'], scratchPath: '/run/mounts/m2' },
      },
    });

    await backend.modify(id, docs.uncombine(ROOT));
    await backend.modify(id, docs.lcowScsiRemove(0, 1, '/run/mounts/m2'));
    await backend.modify(id, docs.lcowScsiRemove(0, 0, '/run/mounts/m1'));
    await backend.modify(id, docs.vpmemRemove(0));
    const empty = { ...newSystemState(LCOW), state: 'Running', grants: state?.grants };
    expect(backend.inspect(id)).toEqual(empty);
  });

  it('packs layers into a multi-mapping device and keeps the device when its last mapping goes', async () => {
    const { backend, id } = await runningUvm({ ...LCOW, vpmemMultiMapping: true });
    await backend.modify(id, docs.mappingAdd(0, 0, 8192, vhd(f.layerA)));
    await backend.modify(id, docs.mappingAdd(0, 1048576, 8192, vhd(f.layerB)));
    expect(backend.inspect(id)?.vpmem).toEqual({
      '0': {
        mappings: {
          '0': { hostPath: vhd(f.layerA), sizeBytes: 8192, imageFormat: 'Vhd1' },
          '1048576': { hostPath: vhd(f.layerB), sizeBytes: 8192, imageFormat: 'Vhd1' },
        },
      },
    });
    expect(backend.inspect(id)?.guest.mounts).toEqual({
      '/run/layers/p0-0-8192': { source: 'vpmem 0@0', readOnly: true },
      '/run/layers/p0-1048576-8192': { source: 'vpmem 0@1048576', readOnly: true },
    });

    await backend.modify(id, docs.mappingRemove(0, 1048576, 8192));
    await backend.modify(id, docs.mappingRemove(0, 0, 8192));
    expect(backend.inspect(id)?.vpmem).toEqual({ '0': { mappings: {} } });
    expect(backend.inspect(id)?.guest.mounts).toEqual({});
    // The empty device takes a new first mapping.
    await backend.modify(id, docs.mappingAdd(0, 0, 8192, vhd(f.layerC)));
    expect(Object.keys(backend.inspect(id)?.vpmem['0']?.mappings ?? {})).toEqual(['0']);
  });

  it('accepts mapped layers under one root and two roots sharing a scratch disk in subfolders', async () => {
    const { backend, id } = await runningUvm({ ...LCOW, vpmemMultiMapping: true });
    await backend.modify(id, docs.mappingAdd(0, 0, 8192, vhd(f.layerA)));
    await backend.grantVmAccess(id, sandbox(f.scratch));
    await backend.modify(id, docs.lcowScsiAdd(0, 0, sandbox(f.scratch), false, '/run/gcs/c/c1'));
    await backend.modify(
      id,
      docs.lcowCombine(ROOT, ['/run/layers/p0-0-8192'], '/run/gcs/c/c1/container_c1'),
    );
    await backend.modify(
      id,
      docs.lcowCombine(
        '/run/gcs/c/c2/rootfs',
        ['/run/layers/p0-0-8192'],
        '/run/gcs/c/c1/container_c2',
      ),
    );
    expect(Object.keys(backend.inspect(id)?.guest.combined ?? {})).toEqual([
      ROOT,
      '/run/gcs/c/c2/rootfs',
    ]);
  });

  it('resolves a symlinked sandbox.vhdx to the file its grant was given for', async () => {
    const { backend, id } = await runningUvm(LCOW);
    await backend.grantVmAccess(id, sandbox(f.scratch));
    await backend.modify(
      id,
      docs.lcowScsiAdd(0, 0, sandbox(f.linkedScratch), false, '/run/mounts/m1'),
    );
    expect(backend.inspect(id)?.scsi['0:0']?.path).toBe(sandbox(f.linkedScratch));
  });

  it('attaches without a guest mount and ejects with an empty MountPath', async () => {
    const { backend, id } = await runningUvm(LCOW);
    await backend.modify(id, docs.lcowScsiAdd(0, 5, vhd(f.layerA), true));
    expect(backend.inspect(id)?.guest.mounts).toEqual({});
    await backend.modify(id, docs.lcowScsiRemove(0, 5));
    expect(backend.inspect(id)?.scsi).toEqual({});
  });

  it('uses up to scsiControllers controllers', async () => {
    const { backend, id } = await runningUvm({ ...LCOW, scsiControllers: 4 });
    await backend.modify(id, docs.lcowScsiAdd(3, 63, vhd(f.layerA), true, '/run/mounts/m1'));
    expect(backend.inspect(id)?.guest.mounts['/run/mounts/m1']).toEqual({
      source: 'scsi 3:63',
      readOnly: true,
    });
  });
});
