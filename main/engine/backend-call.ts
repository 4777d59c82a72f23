/**
 * Every call the engine makes to a backend, as data: what the intent journal records, what the
 * request log shows, and what crash recovery replays (as an undo).
 */
import type { HcsBackend, UvmCreateConfig } from '../hcs/backend.js';
import type { ModifySettingRequest } from '../hcs/schema.js';
import type { WcLayerCall } from './host-mount.js';

export type BackendCall =
  | { kind: 'modify'; uvm: string; document: ModifySettingRequest }
  | { kind: 'wclayer'; call: WcLayerCall }
  | { kind: 'create'; uvm: string; config: UvmCreateConfig }
  | { kind: 'start'; uvm: string }
  | { kind: 'terminate'; uvm: string }
  | { kind: 'grant'; uvm: string; hostPath: string };

/** Counted calls are the ones `--sim-fail-at` and "requests per mount" count. */
export function isCounted(call: BackendCall): boolean {
  return call.kind === 'modify' || call.kind === 'wclayer';
}

/** The `request` field of a log line: the document itself, or `{Op, ...}` for other calls. */
export function logRequest(call: BackendCall): unknown {
  switch (call.kind) {
    case 'modify':
      return call.document;
    case 'wclayer':
      return call.call;
    case 'create':
      return { Op: 'CreateComputeSystem', Id: call.uvm, Configuration: call.config };
    case 'start':
      return { Op: 'StartComputeSystem', Id: call.uvm };
    case 'terminate':
      return { Op: 'TerminateComputeSystem', Id: call.uvm };
    case 'grant':
      return { Op: 'GrantVmAccess', VmId: call.uvm, Path: call.hostPath };
  }
}

export async function execute(backend: HcsBackend, call: BackendCall): Promise<string | void> {
  switch (call.kind) {
    case 'modify':
      return backend.modify(call.uvm, call.document);
    case 'create':
      return backend.createUtilityVm(call.config);
    case 'start':
      return backend.startUtilityVm(call.uvm);
    case 'terminate':
      return backend.terminateUtilityVm(call.uvm);
    case 'grant':
      return backend.grantVmAccess(call.uvm, call.hostPath);
    case 'wclayer': {
      const layers = backend.hostLayers;
      const c = call.call;
      switch (c.Op) {
        case 'ActivateLayer':
          return layers.activateLayer(c.Path);
        case 'PrepareLayer':
          return layers.prepareLayer(c.Path, c.Layers);
        case 'GetLayerMountPath':
          return layers.getLayerMountPath(c.Path);
        case 'UnprepareLayer':
          return layers.unprepareLayer(c.Path);
        case 'DeactivateLayer':
          return layers.deactivateLayer(c.Path);
      }
    }
  }
}
