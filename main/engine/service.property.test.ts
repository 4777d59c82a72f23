/**
 * Property test: random sequences of create / mount / unmount(op) / remove over three UVMs
 * (LCOW with vPMEM fallback, LCOW multi-mapping, WCOW) sharing a base layer and scratches. After
 * every step the ledger's ref counts equal its holders, no slot holds two devices and the sim's
 * device tree equals the ledger; after unmounting everything nothing is attached.
 */
import fc from 'fast-check';
import * as fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UvmLayersError } from './errors.js';
import type { CreateUvmRequest, UnmountOp } from './service-api.js';
import { makeLayer, makeScratch, tempDir } from './testing/fixtures.js';
import { openHarness } from './testing/harness.js';
import { checkInvariants, uvmRecords } from './testing/invariants.js';

const UVMS: CreateUvmRequest[] = [
  { id: 'lcow-a', os: 'linux', vpmemCount: 2, vpmemMaxSizeBytes: 8192 },
  { id: 'lcow-b', os: 'linux', vpmemCount: 1, vpmemMultiMapping: true },
  { id: 'wcow', os: 'windows' },
];

type Step =
  | { op: 'create'; uvm: number }
  | { op: 'remove'; uvm: number; force: boolean }
  | { op: 'mount'; uvm: number; root: number; layers: number[]; scratch: number }
  | { op: 'unmount'; uvm: number; root: number; ops: UnmountOp[] };

const uvmIndex = fc.integer({ min: 0, max: UVMS.length - 1 });
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ op: fc.constant('create' as const), uvm: uvmIndex }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('remove' as const),
      uvm: uvmIndex,
      force: fc.boolean(),
    }),
  },
  {
    weight: 5,
    arbitrary: fc.record({
      op: fc.constant('mount' as const),
      uvm: uvmIndex,
      root: fc.integer({ min: 0, max: 3 }),
      layers: fc.subarray([1, 2, 3, 4]),
      scratch: fc.integer({ min: 0, max: 3 }),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant('unmount' as const),
      uvm: uvmIndex,
      root: fc.integer({ min: 0, max: 3 }),
      ops: fc.subarray(['scsi', 'vsmb', 'vpmem'] as UnmountOp[]),
    }),
  },
);

/** Failures a step may legitimately end in; anything else fails the property. */
const EXPECTED = new Set([
  'UVM_EXISTS',
  'UVM_NOT_FOUND',
  'UVM_BUSY',
  'CONTAINER_EXISTS',
  'CONTAINER_NOT_FOUND',
  'NO_AVAILABLE_LOCATION',
  'HCS_ERROR',
]);

let fixtures: string;
let layers: string[];
let scratches: string[];

beforeAll(() => {
  fixtures = tempDir();
  // The base (0) is in every mount; layer 4 is too large for lcow-a's 8 KiB vPMEM size.
  layers = [0, 1, 2, 3, 4].map((i) => makeLayer(fixtures, `layer${i}`, i === 4 ? 16384 : 4096));
  const s0 = makeScratch(fixtures, 'sandbox0');
  const s1 = makeScratch(fixtures, 'sandbox1');
  scratches = [s0, s1, makeScratch(fixtures, 'shares0', s0), makeScratch(fixtures, 'shares1', s1)];
});

afterAll(() => fs.rmSync(fixtures, { recursive: true, force: true }));

function guestRoot(uvm: number, root: number): string {
  return UVMS[uvm]?.os === 'windows' ? `C:\\c\\${root}` : `/run/gcs/c/ctr${root}`;
}

/** What the runs exercised, so a generator that stops reaching a path fails loudly. */
const seen = new Map<string, number>();
function note(what: string): void {
  seen.set(what, (seen.get(what) ?? 0) + 1);
}

describe('engine + sim under random operation sequences', () => {
  it('keeps ref counts, slots and the sim consistent with the ledger (1,000 sequences)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 14 }), async (steps) => {
        const h = openHarness({ fast: true });
        try {
          for (const s of steps) {
            const uvm = UVMS[s.uvm]!;
            try {
              if (s.op === 'create') await h.service.createUvm(uvm);
              else if (s.op === 'remove') await h.service.removeUvm({ id: uvm.id, force: s.force });
              else if (s.op === 'mount') {
                await h.service.mount({
                  uvm: uvm.id,
                  guestRoot: guestRoot(s.uvm, s.root),
                  layers: [layers[0]!, ...s.layers.map((i) => layers[i]!)],
                  scratch: scratches[s.scratch]!,
                });
              } else {
                await h.service.unmount({
                  uvm: uvm.id,
                  guestRoot: guestRoot(s.uvm, s.root),
                  ops: s.ops,
                });
              }
              note(`${s.op} ok`);
            } catch (error) {
              if (!(error instanceof UvmLayersError) || !EXPECTED.has(error.code)) throw error;
              note(`${s.op} ${error.code}`);
            }
            for (const r of uvmRecords(h.store)) {
              for (const c of r.containers) for (const l of c.layers) note(`layer on ${l.kind}`);
              if (r.scsi.some((a) => !a.readOnly && a.refCount > 1)) note('shared scratch');
              if (r.containers.some((c) => !c.combined)) note('partly unmounted');
            }
            checkInvariants(h.store, h.sim);
          }
          for (const record of uvmRecords(h.store)) {
            for (const c of record.containers)
              await h.service.unmount({ uvm: record.id, guestRoot: c.guestRoot });
          }
          checkInvariants(h.store, h.sim);
          for (const record of uvmRecords(h.store)) {
            expect(record.containers).toEqual([]);
            expect([
              record.scsi,
              record.vpmem,
              record.vpmemMapped,
              record.vsmb,
              record.combined,
            ]).toEqual([[], [], [], [], []]);
            const simState = h.sim.inspect(record.id)!;
            expect(Object.values(simState.scsi).filter((s) => !s.reserved)).toEqual([]);
            expect(simState.guest).toEqual({ mounts: {}, combined: {} });
            expect(Object.keys(simState.vsmb)).toEqual([]);
          }
          expect(h.store.listIntents()).toEqual([]);
        } finally {
          await h.close();
        }
      }),
      { numRuns: Number(process.env.UVM_LAYERS_PROPERTY_RUNS ?? 1000) },
    );
    for (const path of [
      'mount ok',
      'unmount ok',
      'remove ok',
      'remove UVM_BUSY',
      'layer on vpmem',
      'layer on scsi',
      'layer on mapped',
      'layer on vsmb',
      'shared scratch',
      'partly unmounted',
    ]) {
      expect(seen.get(path) ?? 0, `no run exercised "${path}"`).toBeGreaterThan(0);
    }
  }, 600_000);
});
