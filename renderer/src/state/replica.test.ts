import { describe, expect, it } from 'vitest';
import type { LogEntry, UvmView } from '../../../main/engine/views.js';
import { LOG_LIMIT, mergeKeyed, mergeLog, mergeView } from './replica.js';

function view(refCounts: number[]): UvmView {
  return {
    id: 'u1',
    os: 'linux',
    state: 'Running',
    options: {
      vpmemCount: 64,
      vpmemMaxSizeBytes: 1,
      scsiControllers: 1,
      physicallyBacked: false,
      vpmemMultiMapping: false,
    },
    scsi: refCounts.map((refCount, lun) => ({
      controller: 0,
      lun,
      hostPath: `/l${lun}`,
      uvmPath: `/m${lun}`,
      readOnly: true,
      refCount,
    })),
    vpmem: [],
    vsmb: [],
    combinedLayers: [],
    reserved: [],
  };
}

const entry = (seq: number): LogEntry => ({
  seq,
  time: 't',
  uvm: 'u1',
  request: {},
  ok: true,
  ms: 1,
});

describe('replica merging', () => {
  it('keeps the identity of unchanged devices and hands a new object to the changed one', () => {
    const first = mergeView(undefined, view([1, 1, 1]));
    const second = mergeView(first, view([1, 2, 1]));
    expect(second).not.toBe(first);
    expect(second.scsi.byKey['0:0']).toBe(first.scsi.byKey['0:0']);
    expect(second.scsi.byKey['0:2']).toBe(first.scsi.byKey['0:2']);
    expect(second.scsi.byKey['0:1']).not.toBe(first.scsi.byKey['0:1']);
    expect(second.scsi.keys).toBe(first.scsi.keys);
    expect(second.vsmb).toBe(first.vsmb);
  });

  it('returns the previous view when nothing changed', () => {
    const first = mergeView(undefined, view([1, 2]));
    expect(mergeView(first, view([1, 2]))).toBe(first);
  });

  it('notices a change outside the device lists', () => {
    const first = mergeView(undefined, view([1]));
    const stopped = { ...view([1]), state: 'Stopped' };
    const next = mergeView(first, stopped);
    expect(next).not.toBe(first);
    expect(next.view.state).toBe('Stopped');
    expect(next.scsi).toBe(first.scsi);
  });

  it('new key order gives a new keys array', () => {
    const a = mergeKeyed(undefined, [{ id: 'a' }, { id: 'b' }], (x) => x.id);
    const b = mergeKeyed(a, [{ id: 'b' }, { id: 'a' }], (x) => x.id);
    expect(b.keys).toEqual(['b', 'a']);
    expect(b.byKey.a).toBe(a.byKey.a);
  });

  it('merges overlapping log tails in seq order without duplicates, capped', () => {
    const log = mergeLog([entry(1), entry(2)], [entry(2), entry(4), entry(3)]);
    expect(log.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    expect(mergeLog(log, [entry(3)])).toBe(log);
    const big = mergeLog(
      [],
      Array.from({ length: LOG_LIMIT + 10 }, (_, i) => entry(i + 1)),
    );
    expect(big).toHaveLength(LOG_LIMIT);
    expect(big[0]?.seq).toBe(11);
  });
});
