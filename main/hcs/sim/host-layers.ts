/**
 * The simulated wclayer calls of process-isolated (Argon) containers. State (which layers are
 * activated and prepared) is plain JSON under the host key, keyed by the normalised layer path.
 * The sim is stricter than the real, loosely reference-counted ActivateLayer: activating an
 * active layer is refused, so a ledger that loses track of a host mount shows at once.
 */
import { join } from 'node:path';
import type { HostLayers } from '../backend.js';
import { callAsync } from './call-async.js';
import type { HostFiles } from './host-files.js';
import type { SimPersistence } from './sim-persistence.js';
import { refuse } from './sim-errors.js';
import { checkVersion, newHostState, type SimHostLayer, type SimHostState } from './sim-state.js';
import { URL_NAMESPACE, uuidV5 } from './uuid-v5.js';

export interface HostLayersDeps {
  persistence: SimPersistence;
  files: HostFiles;
  /** Counts one request (and fails it under fault injection). */
  countRequest: () => void;
}

/** The volume path the sim reports for an activated layer: a v5 GUID of its normalised path. */
export function simVolumePath(layerKey: string): string {
  return `\\\\?\\Volume{${uuidV5(layerKey, URL_NAMESPACE)}}\\`;
}

export function createSimHostLayers({
  persistence,
  files,
  countRequest,
}: HostLayersDeps): HostLayers {
  const load = (): SimHostState => {
    const state = persistence.loadHost();
    return state ? checkVersion(state, 'sim-host') : newHostState();
  };
  /**
   * Counts the call, loads the host state and hands `step` the layer (maybe absent); `step`
   * saves what it changes, so a refused call changes nothing.
   */
  const withLayer = <T>(
    path: string,
    step: (state: SimHostState, key: string, layer: SimHostLayer | undefined) => T,
  ): Promise<T> =>
    callAsync(() => {
      countRequest();
      const state = load();
      const key = files.key(path);
      return step(state, key, state.layers[key]);
    });
  const active = (path: string, layer: SimHostLayer | undefined, call: string): SimHostLayer => {
    if (!layer) {
      throw refuse.invalidState(
        `${call}: layer ${path} is not activated (ActivateLayer comes first)`,
      );
    }
    return layer;
  };

  return {
    activateLayer: (path) =>
      withLayer(path, (state, key, layer) => {
        const describe = `ActivateLayer: cannot activate layer ${path}`;
        if (layer) {
          throw refuse.alreadyExists(`${describe}: it is already activated as ${layer.volumePath}`);
        }
        files.directory(path, describe);
        files.file(join(path, 'sandbox.vhdx'), `${describe}: the layer has no sandbox.vhdx`);
        state.layers[key] = { path, prepared: false, parents: [], volumePath: simVolumePath(key) };
        persistence.saveHost(state);
      }),

    prepareLayer: (path, parents) =>
      withLayer(path, (state, _key, layer) => {
        const found = active(path, layer, 'PrepareLayer');
        const describe = `PrepareLayer: cannot prepare layer ${path}`;
        if (found.prepared) throw refuse.alreadyExists(`${describe}: it is already prepared`);
        for (const parent of parents) files.directory(parent, `${describe}: parent layer`);
        found.prepared = true;
        found.parents = [...parents];
        persistence.saveHost(state);
      }),

    getLayerMountPath: (path) =>
      withLayer(path, (_state, _key, layer) => active(path, layer, 'GetLayerMountPath').volumePath),

    unprepareLayer: (path) =>
      withLayer(path, (state, _key, layer) => {
        if (!layer?.prepared) {
          throw refuse.notFound(`UnprepareLayer: layer ${path} is not prepared`);
        }
        layer.prepared = false;
        layer.parents = [];
        persistence.saveHost(state);
      }),

    deactivateLayer: (path) =>
      withLayer(path, (state, key, layer) => {
        if (!layer) throw refuse.notFound(`DeactivateLayer: layer ${path} is not activated`);
        if (layer.prepared) {
          throw refuse.busy(
            `DeactivateLayer: layer ${path} is still prepared; UnprepareLayer comes first`,
          );
        }
        delete state.layers[key];
        persistence.saveHost(state);
      }),

    // Not a request to HCS in the counting sense: ids are derived locally (see HCS-SPEC Part 1).
    nameToGuid: (name) => callAsync(() => uuidV5(name, URL_NAMESPACE)),
  };
}
