/**
 * The embedded HCS simulator (`--backend sim`): a strict model of what HCS and the guest (GCS)
 * answer to each document, with a persisted device tree and guest view.
 *
 * Every call loads the system's state from `persistence` (another process may have changed it),
 * works on a private copy, and saves it only when the whole call succeeded: a document's host and
 * guest halves are checked and applied as one unit (host then guest for Add/Update, guest then
 * host for Remove, as HCS forwards them), so a refused document changes nothing.
 *
 * HRESULTs and when the sim answers with them (messages name the UVM and the slot/share/path):
 *
 * | HRESULT                 | cases |
 * |-------------------------|-------|
 * | HCS_E_SYSTEM_NOT_FOUND  | unknown UVM id (modify, start, terminate, grant) |
 * | HCS_E_INVALID_STATE     | modify of a UVM that is not Running; start of a Running UVM; removing a multi-mapping vPMEM device that has no mappings or no offset-0 mapping; PrepareLayer/GetLayerMountPath on a layer that is not activated |
 * | HCS_E_INVALID_JSON      | document or settings not an object; a field not in the schema type (typos, LCOW fields sent to WCOW: B11); a wrong JSON type or an integer outside its Go type; top-level RequestType not Add/Remove/Update; an enum value HCS does not know (Attachment.Type, ImageFormat, CachingMode) |
 * | E_INVALIDARG            | unknown ResourcePath; a required value missing; Update where HCS refuses it; RequestType/Settings without ResourcePath, guest-only documents other than CombinedLayers, Settings on a SCSI/vPMEM Remove; unknown or unmodelled guest ResourceType/RequestType; guest half not matching its host half (type, Add/Remove, Controller/Lun/DeviceNumber/offset); VSMB on Linux, vPMEM on Windows; a relative host path, a guest path of the wrong form; limits: controller >= scsiControllers, LUN >= 64, device >= vpmemCount, single vPMEM file > vpmemMaxSizeBytes, mapping not page-aligned, outside the 4 GiB device, overlapping another, smaller than its file, 1024 mappings already; a directory given as a VHD, a file as an unrestricted share; a WCOW layer that is not a VSMB path, a layer Id that is not a GUID; an invalid create config; unmounting a path mounted from another device |
 * | ERROR_ALREADY_EXISTS    | occupied SCSI slot (incl. WCOW's reserved 0:0), vPMEM device or mapping offset, a mapping on a single-VHD device; existing share name; duplicate UVM id; ActivateLayer of an active layer, PrepareLayer of a prepared one |
 * | ERROR_NOT_FOUND         | removing an absent attachment, device, mapping or share; the guest unmount of a path that is not mounted; removing combined layers that are not combined; UnprepareLayer of a layer not prepared, DeactivateLayer of one not active |
 * | ERROR_FILE_NOT_FOUND    | SCSI Attachment.Path, vPMEM HostPath, VSMB Path, a granted path, a host layer folder, its sandbox.vhdx or a parent folder does not exist (symlinks resolved) |
 * | ERROR_PATH_NOT_FOUND    | a combine whose layer is not mounted in the guest (LCOW), whose VSMB share does not exist (WCOW), whose scratch is not inside a mount (LCOW) or whose root is not a mounted scratch (WCOW) |
 * | ERROR_BUSY              | a guest mount over a mounted path or a combined root; a combine over a root already combined or a device mount; two roots on one LCOW scratch path; unmounting (or hot-removing) a device or share a combined root still uses; hot-removing a device still mounted in the guest; DeactivateLayer of a prepared layer |
 * | E_ACCESSDENIED          | removing the UVM's own reserved slot; a read-write SCSI attach of a file the UVM was not granted (GrantVmAccess); mounting a read-only disk read-write; a scratch on a read-only mount |
 * | E_FAIL                  | `--sim-fail-at N`: the N-th counted request (modify calls and wclayer calls except NameToGuid) |
 */
import { UvmLayersError } from '../../engine/errors.js';
import type { ComputeSystemInfo, HcsBackend, HostLayers, UvmCreateConfig } from '../backend.js';
import type { ModifySettingRequest } from '../schema.js';
import { applyPlan } from './apply-request.js';
import { callAsync } from './call-async.js';
import {
  createHostFiles,
  defaultPlatform,
  type HostFiles,
  type HostPlatform,
} from './host-files.js';
import { createSimHostLayers } from './host-layers.js';
import { parseModifyRequest } from './parse-request.js';
import { createRequestCounter, type RequestCounter } from './request-counter.js';
import { refuse } from './sim-errors.js';
import type { SimPersistence } from './sim-persistence.js';
import {
  checkVersion,
  newHostState,
  newSystemState,
  type SimHostState,
  type SimSystemState,
} from './sim-state.js';
import { validateCreateConfig } from './validate-config.js';

export interface SimBackendOptions {
  persistence: SimPersistence;
  /** Fail the N-th counted request (1-based) with E_FAIL; `--sim-fail-at N`. */
  failAt?: number;
  /** How host paths compare: case-insensitively on 'windows'. Defaults to the running OS. */
  platform?: HostPlatform;
}

export interface SimBackend extends HcsBackend {
  readonly name: 'sim';
  /** Counted requests sent through this instance so far (the failed one included). */
  readonly requestCount: number;
  /** A copy of one UVM's device tree and guest view, or undefined when it does not exist. */
  inspect(id: string): SimSystemState | undefined;
  /** A copy of the host's activated/prepared layers. */
  inspectHost(): SimHostState;
}

export function createSimBackend(options: SimBackendOptions): SimBackend {
  return new SimulatedHcs(options);
}

/** Owner reported by enumerate for systems the sim holds. */
export const SIM_OWNER = 'uvm-layers';

class SimulatedHcs implements SimBackend {
  readonly name = 'sim';
  readonly hostLayers: HostLayers;
  private readonly persistence: SimPersistence;
  private readonly files: HostFiles;
  private readonly counter: RequestCounter;
  private closed = false;

  constructor(options: SimBackendOptions) {
    this.persistence = options.persistence;
    this.files = createHostFiles(options.platform ?? defaultPlatform());
    this.counter = createRequestCounter(options.failAt);
    this.hostLayers = createSimHostLayers({
      persistence: this.persistence,
      files: this.files,
      countRequest: () => {
        this.checkOpen();
        this.counter.next();
      },
    });
  }

  get requestCount(): number {
    return this.counter.count;
  }

  createUtilityVm(config: UvmCreateConfig): Promise<void> {
    return this.call(() => {
      validateCreateConfig(config);
      if (this.persistence.load(config.id) !== undefined) {
        throw refuse.alreadyExists(`utility VM ${config.id} already exists`);
      }
      this.persistence.save(config.id, newSystemState(config));
    });
  }

  startUtilityVm(id: string): Promise<void> {
    return this.call(() => {
      const state = this.load(id);
      if (state.state === 'Running') {
        throw refuse.invalidState(`utility VM ${id} is already Running`);
      }
      state.state = 'Running';
      this.persistence.save(id, state);
    });
  }

  terminateUtilityVm(id: string): Promise<void> {
    return this.call(() => {
      this.load(id);
      this.persistence.save(id, undefined);
    });
  }

  modify(id: string, request: ModifySettingRequest): Promise<void> {
    return this.call(() => {
      this.counter.next();
      const current = this.load(id);
      if (current.state !== 'Running') {
        throw refuse.invalidState(
          `utility VM ${id} is ${current.state}, not Running; it cannot be modified`,
        );
      }
      const plan = parseModifyRequest(request, current.os, id);
      const draft = structuredClone(current);
      applyPlan({ state: draft, files: this.files }, plan);
      this.persistence.save(id, draft);
    });
  }

  grantVmAccess(id: string, hostPath: string): Promise<void> {
    return this.call(() => {
      const state = this.load(id);
      this.files.entry(hostPath, `cannot grant utility VM ${id} access to ${hostPath}`);
      const key = this.files.key(hostPath);
      if (state.grants.includes(key)) return;
      state.grants.push(key);
      this.persistence.save(id, state);
    });
  }

  enumerate(): Promise<ComputeSystemInfo[]> {
    return this.call(() =>
      this.persistence.list().flatMap((id) => {
        const state = this.persistence.load(id);
        if (!state) return [];
        checkVersion(state, `sim/${id}`);
        return [
          {
            id: state.id,
            systemType: 'VirtualMachine',
            state: state.state,
            owner: SIM_OWNER,
            runtimeOsType: state.os === 'linux' ? 'Linux' : 'Windows',
          },
        ];
      }),
    );
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }

  inspect(id: string): SimSystemState | undefined {
    const state = this.persistence.load(id);
    return state ? structuredClone(checkVersion(state, `sim/${id}`)) : undefined;
  }

  inspectHost(): SimHostState {
    const state = this.persistence.loadHost();
    return state ? structuredClone(checkVersion(state, 'sim-host')) : newHostState();
  }

  private call<T>(step: () => T): Promise<T> {
    return callAsync(() => {
      this.checkOpen();
      return step();
    });
  }

  private checkOpen(): void {
    if (this.closed) {
      throw new UvmLayersError('BACKEND_UNAVAILABLE', 'the HCS simulator backend has been closed');
    }
  }

  private load(id: string): SimSystemState {
    const state = this.persistence.load(id);
    if (!state) throw refuse.systemNotFound(id);
    return checkVersion(state, `sim/${id}`);
  }
}
