/** WCOW happy paths: the reserved scratch slot, VSMB layer shares, scratch mount, combine, teardown. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  docs,
  LAYER_ID_A,
  LAYER_ID_B,
  LAYER_SHARE_OPTIONS,
  makeFiles,
  runningUvm,
  sandbox,
  vsmbPath,
  WCOW,
  type Files,
} from './sim-fixtures.js';

let f: Files;
beforeAll(() => {
  f = makeFiles();
});
afterAll(() => f.cleanup());

describe('sim WCOW', () => {
  it("holds SCSI 0:0 for the UVM's own scratch from creation", async () => {
    const { backend, id } = await runningUvm(WCOW);
    expect(backend.inspect(id)?.scsi).toEqual({
      '0:0': { path: '', readOnly: false, type: 'VirtualDisk', reserved: 'uvm scratch' },
    });
  });

  it('shares layers over VSMB, mounts the scratch, combines, and tears down in reverse', async () => {
    const { backend, id } = await runningUvm(WCOW);
    await backend.modify(id, docs.vsmbAdd('s1', f.layerA));
    await backend.modify(id, docs.vsmbAdd('s2', f.layerB));
    await backend.grantVmAccess(id, sandbox(f.scratch));
    await backend.modify(id, docs.wcowScsiAdd(1, sandbox(f.scratch), 'C:\\c\\1'));
    await backend.modify(
      id,
      docs.wcowCombine('C:\\c\\1', [
        { Id: LAYER_ID_B, Path: vsmbPath('s2') },
        { Id: LAYER_ID_A, Path: vsmbPath('s1') },
      ]),
    );

    const state = backend.inspect(id);
    expect(state?.vsmb).toEqual({
      s1: { path: f.layerA, options: LAYER_SHARE_OPTIONS, allowedFiles: [] },
      s2: { path: f.layerB, options: LAYER_SHARE_OPTIONS, allowedFiles: [] },
    });
    expect(state?.scsi['0:1']).toEqual({
      path: sandbox(f.scratch),
      readOnly: false,
      type: 'VirtualDisk',
    });
    expect(state?.guest).toEqual({
      mounts: { 'C:\\c\\1': { source: 'scsi 0:1', readOnly: false } },
      combined: {
        'C:\\c\\1': {
          layers: [vsmbPath('s2'), vsmbPath('s1')],
          layerIds: [LAYER_ID_B, LAYER_ID_A],
          scratchPath: 'C:\\c\\1',
        },
      },
    });

    // Windows guest paths compare case-insensitively.
    await backend.modify(id, docs.uncombine('c:\\C\\1'));
    await backend.modify(id, docs.wcowScsiRemove(1, 'C:\\c\\1'));
    await backend.modify(id, docs.vsmbRemove('s1'));
    await backend.modify(id, docs.vsmbRemove('s2'));
    const after = backend.inspect(id);
    expect(after?.vsmb).toEqual({});
    expect(Object.keys(after?.scsi ?? {})).toEqual(['0:0']);
    expect(after?.guest).toEqual({ mounts: {}, combined: {} });
  });

  it('adds a restricted single-file share and updates its allowed files', async () => {
    const { backend, id } = await runningUvm(WCOW);
    const options = { ReadOnly: true, RestrictFileAccess: true, SingleFileMapping: true };
    await backend.modify(id, {
      ResourcePath: 'VirtualMachine/Devices/VirtualSmb/Shares',
      RequestType: 'Add',
      Settings: { Name: 's1', Path: f.layerA, Options: options, AllowedFiles: [f.plainFile] },
    });
    await backend.modify(id, {
      ResourcePath: 'VirtualMachine/Devices/VirtualSmb/Shares',
      RequestType: 'Update',
      Settings: {
        Name: 's1',
        Path: f.layerA,
        Options: options,
        AllowedFiles: [f.plainFile, 'layer.vhd'],
      },
    });
    expect(backend.inspect(id)?.vsmb['s1']?.allowedFiles).toEqual([f.plainFile, 'layer.vhd']);
  });
});
