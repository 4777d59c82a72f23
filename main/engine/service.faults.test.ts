/**
 * Fault injection: for each mount scenario, the N-th HCS request fails, for every N the mount
 * sends. Afterwards the UVM's record and the sim's device tree equal what they were before the
 * call (counters and grants, which only grow, aside), the error names the failing step, and the
 * same mount then succeeds.
 */
import { describe, expect, it } from 'vitest';
import { createSimBackend } from '../hcs/sim/index.js';
import { UvmLayersError } from './errors.js';
import { createLayerService } from './service.js';
import type { CreateUvmRequest, MountRequest } from './service-api.js';
import { storeSimPersistence } from './sim-persistence.js';
import { makeLayer, makeScratch } from './testing/fixtures.js';
import { openHarness, type Harness } from './testing/harness.js';
import type { UvmRecord } from './uvm/record.js';

interface Scenario {
  name: string;
  uvm?: CreateUvmRequest;
  /** Mounts done before the one under test (to share a base layer or a scratch). */
  setup: (h: Harness) => Promise<void>;
  mount: (h: Harness) => MountRequest;
  /** Phrases the error must contain for the request that failed, by its position. */
  steps: string[];
}

const lcow: CreateUvmRequest = { id: 'u1', os: 'linux', vpmemCount: 2 };

function folders(h: Harness) {
  return {
    base: makeLayer(h.root, 'base'),
    app: makeLayer(h.root, 'app'),
    extra: makeLayer(h.root, 'extra'),
    scratch: makeScratch(h.root, 'scratch'),
  };
}

const SCENARIOS: Scenario[] = [
  {
    name: 'LCOW: two vPMEM layers, a SCSI fallback, scratch, combine',
    uvm: lcow,
    setup: async () => {},
    mount: (h) => {
      const f = folders(h);
      return {
        uvm: 'u1',
        guestRoot: '/run/gcs/c/a',
        layers: [f.base, f.app, f.extra],
        scratch: f.scratch,
      };
    },
    // The grant before the scratch's attach is not a counted request.
    steps: ['vPMEM device 0', 'vPMEM device 1', 'SCSI disk', 'SCSI disk', 'combine layers'],
  },
  {
    name: 'LCOW: sharing a base layer and a scratch with a mounted container',
    uvm: lcow,
    setup: async (h) => {
      const base = makeLayer(h.root, 'base');
      await h.service.mount({
        uvm: 'u1',
        guestRoot: '/run/gcs/c/first',
        layers: [base],
        scratch: makeScratch(h.root, 'sandbox'),
      });
    },
    mount: (h) => ({
      uvm: 'u1',
      guestRoot: '/run/gcs/c/second',
      layers: [`${h.root}/base`, makeLayer(h.root, 'app')],
      scratch: makeScratch(h.root, 'linked', `${h.root}/sandbox`),
    }),
    steps: ['vPMEM device 1', 'combine layers'],
  },
  {
    name: 'LCOW multi-mapping',
    uvm: { id: 'u1', os: 'linux', vpmemMultiMapping: true },
    setup: async () => {},
    mount: (h) => {
      const f = folders(h);
      return { uvm: 'u1', guestRoot: '/run/gcs/c/a', layers: [f.base, f.app], scratch: f.scratch };
    },
    steps: [
      'vPMEM mapping at device 0 offset 0',
      'vPMEM mapping at device 0 offset 1048576',
      'SCSI disk',
      'combine layers',
    ],
  },
  {
    name: 'WCOW: VSMB layers, scratch, combine',
    uvm: { id: 'u1', os: 'windows' },
    setup: async () => {},
    mount: (h) => {
      const f = folders(h);
      return { uvm: 'u1', guestRoot: 'C:\\c\\1', layers: [f.base, f.app], scratch: f.scratch };
    },
    steps: ['VSMB share s1', 'VSMB share s2', 'SCSI disk', 'combine layers'],
  },
  {
    name: 'host (Argon): activate, prepare, mount path',
    setup: async () => {},
    mount: (h) => {
      const f = folders(h);
      return { guestRoot: '/c/argon', layers: [f.base, f.app], scratch: f.scratch };
    },
    steps: ['ActivateLayer', 'PrepareLayer', 'GetLayerMountPath'],
  },
];

/**
 * What "as before" compares. Left out: counters and grants (they only grow), the id of the last
 * operation, and multi-mapped vPMEM devices with no mapping left, which HCS never removes.
 */
function snapshot(h: Harness) {
  const uvm = h.store.read<UvmRecord>('uvm/u1')?.data;
  const sim = h.sim.inspect('u1');
  const vpmem = Object.fromEntries(
    Object.entries(sim?.vpmem ?? {}).filter(
      ([, d]) => !d.mappings || Object.keys(d.mappings).length > 0,
    ),
  );
  return {
    uvm: uvm && { ...uvm, counters: null, lastOp: null },
    sim: sim && { ...sim, vpmem, grants: null },
    host: h.store.read<{ containers: unknown[] }>('host')?.data.containers ?? [],
    simHost: h.sim.inspectHost(),
  };
}

describe('a fault at any request of a mount leaves everything as before', () => {
  for (const scenario of SCENARIOS) {
    it.each(scenario.steps.map((step, i) => [i + 1, step] as const))(
      `${scenario.name}: request %i fails (%s)`,
      async (failAt, step) => {
        const h = openHarness({ fast: true });
        try {
          if (scenario.uvm) await h.service.createUvm(scenario.uvm);
          await scenario.setup(h);
          const request = scenario.mount(h);
          const before = snapshot(h);
          // A second backend over the same store, as a separate process with --sim-fail-at would be.
          const faulty = createSimBackend({ persistence: storeSimPersistence(h.store), failAt });
          const service = createLayerService(h.store, faulty);
          const error = await service.mount(request).catch((e: unknown) => e);
          expect(error).toBeInstanceOf(UvmLayersError);
          expect((error as Error).message).toContain(
            `request ${failAt} failed because of --sim-fail-at ${failAt}`,
          );
          expect((error as Error).message.toLowerCase()).toContain(step.toLowerCase());
          expect(snapshot(h)).toEqual(before);
          expect(h.store.listIntents()).toEqual([]);
          await expect(h.service.mount(request)).resolves.toHaveProperty('rootfs');
        } finally {
          await h.close();
        }
      },
    );
  }

  it('covers every request each scenario sends', async () => {
    for (const scenario of SCENARIOS) {
      const h = openHarness({ fast: true });
      try {
        if (scenario.uvm) await h.service.createUvm(scenario.uvm);
        await scenario.setup(h);
        const request = scenario.mount(h);
        const counting = createSimBackend({ persistence: storeSimPersistence(h.store) });
        await createLayerService(h.store, counting).mount(request);
        expect(counting.requestCount, scenario.name).toBe(scenario.steps.length);
      } finally {
        await h.close();
      }
    }
  });
});
