/** The simulated wclayer calls (Argon host mounts): the sequence, its state, and refusals. */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HRESULT } from '../hresult.js';
import { simVolumePath } from './host-layers.js';
import { createSimBackend, type SimBackend } from './sim-backend.js';
import { expectRefused, makeFiles, type Files } from './sim-fixtures.js';
import { createMemoryPersistence } from './sim-persistence.js';
import { URL_NAMESPACE, uuidV5 } from './uuid-v5.js';

let f: Files;
beforeAll(() => {
  f = makeFiles();
});
afterAll(() => f.cleanup());

const fresh = (platform?: 'posix' | 'windows'): SimBackend =>
  createSimBackend({ persistence: createMemoryPersistence(), ...(platform ? { platform } : {}) });

describe('sim host layers', () => {
  it('activates, prepares, mounts, unprepares and deactivates a scratch layer', async () => {
    const backend = fresh('posix');
    const layers = backend.hostLayers;
    await layers.activateLayer(f.scratch);
    await layers.prepareLayer(f.scratch, [f.layerB, f.layerA]);
    const volume = await layers.getLayerMountPath(f.scratch);
    expect(volume).toBe(`\\\\?\\Volume{${uuidV5(f.scratch, URL_NAMESPACE)}}\\`);
    expect(volume).toMatch(
      /^\\\\\?\\Volume\{[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\}\\$/,
    );
    expect(backend.inspectHost()).toEqual({
      version: 1,
      layers: {
        [f.scratch]: {
          path: f.scratch,
          prepared: true,
          parents: [f.layerB, f.layerA],
          volumePath: volume,
        },
      },
    });
    await layers.unprepareLayer(f.scratch);
    expect(backend.inspectHost().layers[f.scratch]?.prepared).toBe(false);
    await layers.deactivateLayer(f.scratch);
    expect(backend.inspectHost().layers).toEqual({});
    expect(backend.requestCount).toBe(5);
  });

  it('derives layer ids as lower-case v5 GUIDs without counting a request', async () => {
    const backend = fresh();
    await expect(backend.hostLayers.nameToGuid('python.org')).resolves.toBe(
      '7af94e2b-4dd9-50f0-9c9a-8a48519bdef0',
    );
    expect(backend.requestCount).toBe(0);
  });

  it('compares layer paths case-insensitively on a Windows host', async () => {
    const backend = fresh('windows');
    await backend.hostLayers.activateLayer(f.scratch);
    const upper = f.scratch.toUpperCase();
    expect(await backend.hostLayers.getLayerMountPath(upper)).toBe(
      simVolumePath(f.scratch.toLowerCase()),
    );
    await backend.hostLayers.deactivateLayer(upper);
    expect(backend.inspectHost().layers).toEqual({});
  });

  it('refuses calls out of order or on missing folders, changing nothing', async () => {
    const backend = fresh('posix');
    const layers = backend.hostLayers;
    await expectRefused(layers.activateLayer(join(f.root, 'nope')), HRESULT.ERROR_FILE_NOT_FOUND, [
      join(f.root, 'nope'),
    ]);
    await expectRefused(layers.activateLayer(f.layerA), HRESULT.ERROR_FILE_NOT_FOUND, [
      join(f.layerA, 'sandbox.vhdx'),
      'ActivateLayer',
    ]);
    await expectRefused(layers.prepareLayer(f.scratch, []), HRESULT.HCS_E_INVALID_STATE, [
      f.scratch,
      'not activated',
    ]);
    await expectRefused(layers.getLayerMountPath(f.scratch), HRESULT.HCS_E_INVALID_STATE, [
      f.scratch,
    ]);
    await expectRefused(layers.unprepareLayer(f.scratch), HRESULT.ERROR_NOT_FOUND, [
      f.scratch,
      'not prepared',
    ]);
    await expectRefused(layers.deactivateLayer(f.scratch), HRESULT.ERROR_NOT_FOUND, [
      f.scratch,
      'not activated',
    ]);
    expect(backend.inspectHost().layers).toEqual({});

    await layers.activateLayer(f.scratch);
    const active = backend.inspectHost();
    await expectRefused(layers.activateLayer(f.scratch), HRESULT.ERROR_ALREADY_EXISTS, [
      f.scratch,
      'already activated',
    ]);
    await expectRefused(
      layers.prepareLayer(f.scratch, [f.layerA, join(f.root, 'gone')]),
      HRESULT.ERROR_FILE_NOT_FOUND,
      [join(f.root, 'gone'), 'parent layer'],
    );
    expect(backend.inspectHost()).toEqual(active);

    await layers.prepareLayer(f.scratch, [f.layerA]);
    const prepared = backend.inspectHost();
    await expectRefused(layers.prepareLayer(f.scratch, [f.layerA]), HRESULT.ERROR_ALREADY_EXISTS, [
      f.scratch,
      'already prepared',
    ]);
    await expectRefused(layers.deactivateLayer(f.scratch), HRESULT.ERROR_BUSY, [
      f.scratch,
      'still prepared',
    ]);
    expect(backend.inspectHost()).toEqual(prepared);
  });

  it('shares host layer state between instances over one persistence', async () => {
    const persistence = createMemoryPersistence();
    const first = createSimBackend({ persistence });
    const second = createSimBackend({ persistence });
    await first.hostLayers.activateLayer(f.scratch2);
    await expectRefused(second.hostLayers.activateLayer(f.scratch2), HRESULT.ERROR_ALREADY_EXISTS, [
      f.scratch2,
    ]);
    await second.hostLayers.deactivateLayer(f.scratch2);
    expect(first.inspectHost().layers).toEqual({});
  });
});
