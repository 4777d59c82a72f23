import { UvmLayersError } from '../engine/errors.js';
import { formatHresult, hresultName } from './hresult.js';
import type { ModifySettingRequest } from './schema.js';

export type BackendName = 'sim' | 'hcs' | 'qemu';
export type UvmOs = 'linux' | 'windows';

/** What a utility VM is created with; the engine validates it before a backend sees it. */
export interface UvmCreateConfig {
  id: string;
  os: UvmOs;
  vpmemCount: number;
  vpmemMaxSizeBytes: number;
  scsiControllers: number;
  physicallyBacked: boolean;
  vpmemMultiMapping: boolean;
  /** hcs backend, LCOW: folder holding the boot files (`kernel` or `vmlinux`, `initrd.img`). */
  bootFilesPath?: string;
  /** hcs backend, WCOW: a base image's `UtilityVM` folder. */
  utilityVmPath?: string;
}

export interface ComputeSystemInfo {
  id: string;
  systemType: string;
  state: string;
  owner?: string;
  runtimeOsType?: string;
}

/** An event from an HCS result document (`ErrorEvents`). */
export interface HcsErrorEvent {
  Message?: string;
  StackTrace?: string;
  Provider?: string;
  EventId?: number;
  Flags?: number;
  Source?: string;
}

/**
 * A request HCS (or the simulator) refused: the HRESULT, HCS's own message and the result
 * document's error events. The engine wraps it with the UVM, device and path it was about.
 */
export class HcsError extends UvmLayersError {
  readonly events: readonly HcsErrorEvent[];

  constructor(hresult: number, message: string, events: readonly HcsErrorEvent[] = []) {
    const name = hresultName(hresult);
    super('HCS_ERROR', `${message} (${name ? `${name}, ` : ''}${formatHresult(hresult)})`, {
      hresult,
    });
    this.events = events;
  }
}

/** The wclayer calls of process-isolated (Argon) containers, as vmcompute.dll exports them. */
export interface HostLayers {
  activateLayer(layerPath: string): Promise<void>;
  prepareLayer(layerPath: string, parentLayerPaths: readonly string[]): Promise<void>;
  /** A volume path such as `\\?\Volume{...}\`. */
  getLayerMountPath(layerPath: string): Promise<string>;
  unprepareLayer(layerPath: string): Promise<void>;
  deactivateLayer(layerPath: string): Promise<void>;
  /** The layer id HCS derives from a name (`NameToGuid`), as a lower-case GUID string. */
  nameToGuid(name: string): Promise<string>;
}

/**
 * The HCS boundary. The engine talks only to this; `sim`, `hcs` (Windows) and `qemu` implement
 * it. Every method rejects with an `HcsError` (or another `UvmLayersError`) on failure.
 */
export interface HcsBackend {
  readonly name: BackendName;
  readonly hostLayers: HostLayers;
  createUtilityVm(config: UvmCreateConfig): Promise<void>;
  startUtilityVm(id: string): Promise<void>;
  /** Stops the VM and forgets it; resolves when it is gone. */
  terminateUtilityVm(id: string): Promise<void>;
  /** One `HcsModifyComputeSystem` call. */
  modify(id: string, request: ModifySettingRequest): Promise<void>;
  /** Per-VM file access for a host file (`GrantVmAccess`). */
  grantVmAccess(id: string, hostPath: string): Promise<void>;
  /** Every compute system the backend knows, including ones uvm-layers did not create. */
  enumerate(): Promise<ComputeSystemInfo[]>;
  close(): Promise<void>;
}
