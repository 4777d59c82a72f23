/**
 * The `hcs` backend: the real Host Compute Service through computecore.dll (compute systems)
 * and vmcompute.dll (host layers, the fallback VM-access grant). Every call opens the compute
 * system, runs one HCS operation under the §12.2 pattern and closes the handle again.
 */
import { copyFile, mkdir, rm } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { UvmLayersError } from '../../engine/errors.js';
import type { ComputeSystemInfo, HcsBackend, UvmCreateConfig } from '../backend.js';
import { HRESULT } from '../hresult.js';
import type { ModifySettingRequest } from '../schema.js';
import type { ComputeCoreApi, HcsSystem } from '../../../native/computecore.js';
import { computeSystemExists, withComputeSystem } from '../../../native/compute-system.js';
import { isNull, type Out } from '../../../native/ffi.js';
import { failed, hcsCallError, isCondition } from '../../../native/hcs-errors.js';
import { runOperation, startOperation, type OperationOptions, type OperationTimeout } from '../../../native/operation.js';
import { isRecord } from '../../../native/result-document.js';
import { describe } from '../../../native/koffi-loader.js';
import { loadNativeApis, type NativeApis } from '../../../native/native-apis.js';
import type { VmComputeApi } from '../../../native/vmcompute.js';
import { createHostLayers } from './host-layers.js';
import {
  DEFAULT_LCOW_EXEC,
  hostWindowsBuild,
  lcowDocument,
  resolveLcowBoot,
  wcowDocument,
  wcowScratchTemplate,
  type ComputeSystemDocument,
  type VmSizing,
} from './uvm-config.js';

export type { NativeApis };

export interface HcsBackendOptions {
  /** Default: the koffi bindings (vmcompute.dll is loaded on first use). */
  api?: NativeApis;
  /** How long an HCS operation may take before it is cancelled and reported; default 4 minutes. It is never abandoned. */
  timeoutMs?: number;
  /** The longest single wait on koffi's (libuv's) thread pool; default 1 s. */
  waitSliceMs?: number;
  /** `Owner` of the compute systems this backend creates; default "uvm-layers". */
  owner?: string;
  onTimeout?: (timeout: OperationTimeout) => void;
  /** Where WCOW UVM scratch disks go (`<scratchDir>/<id>/sandbox.vhdx`); default under the temp folder. */
  scratchDir?: string;
  memoryMb?: number;
  processorCount?: number;
  /** Decides LCOW kernel-direct vs UEFI boot; default: the host's build. */
  windowsBuild?: number;
  /** What the LCOW guest's init runs; default the GCS. */
  lcowExec?: string;
}

/** HCS V2 `PropertyQuery`. */
export interface PropertyQuery {
  PropertyTypes?: string[];
  Queries?: Record<string, unknown>;
}

/** The `hcs` backend, plus what only real HCS offers. */
export interface WindowsHcsBackend extends HcsBackend {
  /** `HcsGetComputeSystemProperties`; `Id` and `SystemType` are always present. */
  properties(id: string, query?: PropertyQuery): Promise<Record<string, unknown>>;
  /** Asks the guest to shut down (`HcsShutDownComputeSystem`), fire-and-forget: resolves once HCS accepted it. */
  shutdownUtilityVm(id: string): Promise<void>;
}

export const DEFAULT_OWNER = 'uvm-layers';
const DEFAULT_MEMORY_MB = 1024;
const DEFAULT_PROCESSORS = 2;

export function createHcsBackend(options: HcsBackendOptions = {}): WindowsHcsBackend {
  const apis = options.api ?? nativeApisOrUnavailable();
  const cc = (): ComputeCoreApi => apis.computecore;
  const vm = (): VmComputeApi => {
    try {
      return apis.vmcompute;
    } catch (error) {
      throw unavailable('vmcompute.dll', error);
    }
  };
  const operationOptions: OperationOptions = {
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    ...(options.onTimeout === undefined ? {} : { onTimeout: options.onTimeout }),
    ...(options.waitSliceMs === undefined ? {} : { waitSliceMs: options.waitSliceMs }),
  };
  const sizing: VmSizing = {
    owner: options.owner ?? DEFAULT_OWNER,
    memoryMb: options.memoryMb ?? DEFAULT_MEMORY_MB,
    processorCount: options.processorCount ?? DEFAULT_PROCESSORS,
  };
  const scratchRoot = options.scratchDir ?? path.join(os.tmpdir(), 'uvm-layers', 'uvm-scratch');
  const scratchFolderOf = (id: string): string => path.join(scratchRoot, id.replace(/[^A-Za-z0-9._@-]/g, '_'));

  // close() waits for these: an HCS call in flight is never abandoned, not even at shutdown.
  const inFlight = new Set<Promise<unknown>>();
  let closed = false;
  const track = <T>(work: () => Promise<T>): Promise<T> => {
    if (closed) return Promise.reject(new UvmLayersError('BACKEND_UNAVAILABLE', 'the hcs backend is closed'));
    const running = work();
    inFlight.add(running);
    const forget = (): void => void inFlight.delete(running);
    running.then(forget, forget);
    return running;
  };

  const run = (what: string, call: (op: bigint) => Promise<number>): Promise<string | undefined> =>
    runOperation(cc(), what, call, operationOptions);

  const onSystem = <T>(id: string, work: (system: HcsSystem) => Promise<T>): Promise<T> =>
    withComputeSystem(cc(), id, work);

  const grantVmAccess = async (id: string, hostPath: string): Promise<void> => {
    const grant = cc().HcsGrantVmAccess;
    if (grant !== undefined) {
      const hr = await grant(id, hostPath);
      if (!failed(hr)) return;
      // Only a missing implementation falls back; a real refusal (access denied, no file) is the answer.
      if (!isCondition(hr, 'notImplemented')) throw hcsCallError(`HcsGrantVmAccess ${id} ${hostPath}`, hr);
    }
    const hr = await vm().GrantVmAccess(id, hostPath);
    if (failed(hr)) throw hcsCallError(`GrantVmAccess ${id} ${hostPath}`, hr);
  };

  const createSystem = async (id: string, document: ComputeSystemDocument): Promise<void> => {
    const api = cc();
    const handle: Out<HcsSystem> = [null];
    try {
      await run(`HcsCreateComputeSystem ${id}`, (op) =>
        api.HcsCreateComputeSystem(id, JSON.stringify(document), op, null, handle),
      );
    } catch (error) {
      // The system object may exist half-made; with no terminate-on-close it would linger.
      const system = handle[0];
      if (!isNull(system)) {
        await startOperation(api, `HcsTerminateComputeSystem ${id}`, (op) =>
          api.HcsTerminateComputeSystem(system, op, null),
        ).catch(() => undefined);
      }
      throw error;
    } finally {
      if (!isNull(handle[0])) api.HcsCloseComputeSystem(handle[0]);
    }
  };

  const createWcow = async (config: UvmCreateConfig, utilityVmPath: string): Promise<void> => {
    const folder = scratchFolderOf(config.id);
    const scratch = path.join(folder, 'sandbox.vhdx');
    // A VM with this id uses that scratch: refuse before the copy would overwrite it.
    if (await computeSystemExists(cc(), config.id)) {
      throw hcsCallError(`HcsCreateComputeSystem ${config.id}`, HRESULT.HCS_E_SYSTEM_ALREADY_EXISTS);
    }
    await mkdir(folder, { recursive: true });
    try {
      await copyFile(wcowScratchTemplate(utilityVmPath), scratch);
      // The VM's worker process opens its own scratch: hcsshim grants it individually.
      await grantVmAccess(config.id, scratch);
      await createSystem(config.id, wcowDocument(config, utilityVmPath, scratch, sizing));
    } catch (error) {
      await rm(folder, { recursive: true, force: true }).catch(() => undefined);
      throw error;
    }
  };

  const isGone = (error: unknown): boolean =>
    error instanceof UvmLayersError &&
    error.hresult !== undefined &&
    (isCondition(error.hresult, 'notFound') || isCondition(error.hresult, 'alreadyStopped'));

  return {
    name: 'hcs',
    hostLayers: createHostLayers(vm),

    createUtilityVm: (config) =>
      track(async () => {
        if (config.os === 'linux') {
          if (config.bootFilesPath === undefined || config.bootFilesPath === '') {
            throw new UvmLayersError(
              'INVALID_ARGUMENT',
              `creating LCOW utility VM ${config.id} on the hcs backend needs a boot files folder (kernel and initrd.img)`,
            );
          }
          const build = options.windowsBuild ?? hostWindowsBuild();
          const boot = resolveLcowBoot(config.bootFilesPath, build, options.lcowExec ?? DEFAULT_LCOW_EXEC);
          await createSystem(config.id, lcowDocument(config, boot, sizing));
          return;
        }
        if (config.utilityVmPath === undefined || config.utilityVmPath === '') {
          throw new UvmLayersError(
            'INVALID_ARGUMENT',
            `creating WCOW utility VM ${config.id} on the hcs backend needs a base image's UtilityVM folder`,
          );
        }
        await createWcow(config, config.utilityVmPath);
      }),

    startUtilityVm: (id) =>
      track(() =>
        onSystem(id, async (system) => {
          await run(`HcsStartComputeSystem ${id}`, (op) => cc().HcsStartComputeSystem(system, op, null));
        }),
      ),

    terminateUtilityVm: (id) =>
      track(async () => {
        try {
          await onSystem(id, async (system) => {
            // Waited for, not fire-and-forget: the contract is "resolves when it is gone".
            await run(`HcsTerminateComputeSystem ${id}`, (op) => cc().HcsTerminateComputeSystem(system, op, null));
          });
        } catch (error) {
          if (!isGone(error)) throw error;
        }
        await rm(scratchFolderOf(id), { recursive: true, force: true }).catch(() => undefined);
      }),

    shutdownUtilityVm: (id) =>
      track(() =>
        onSystem(id, (system) =>
          startOperation(cc(), `HcsShutDownComputeSystem ${id}`, (op) => cc().HcsShutDownComputeSystem(system, op, null)),
        ),
      ),

    modify: (id, request: ModifySettingRequest) =>
      track(() =>
        onSystem(id, async (system) => {
          // Sent exactly as the engine built it: the engine owns the document's shape.
          const json = JSON.stringify(request);
          await run(`HcsModifyComputeSystem ${id}`, (op) => cc().HcsModifyComputeSystem(system, op, json, null));
        }),
      ),

    grantVmAccess: (id, hostPath) => track(() => grantVmAccess(id, hostPath)),

    properties: (id, query) =>
      track(() =>
        onSystem(id, async (system) => {
          const json = query === undefined ? null : JSON.stringify(query);
          const document = await run(`HcsGetComputeSystemProperties ${id}`, (op) =>
            cc().HcsGetComputeSystemProperties(system, op, json),
          );
          const parsed = parseJson(document, `HcsGetComputeSystemProperties ${id}`);
          if (!isRecord(parsed)) throw malformed(`HcsGetComputeSystemProperties ${id}`, document);
          return parsed;
        }),
      ),

    enumerate: () =>
      track(async () => {
        const document = await run('HcsEnumerateComputeSystems', (op) => cc().HcsEnumerateComputeSystems(null, op));
        return toComputeSystems(parseJson(document, 'HcsEnumerateComputeSystems'), document);
      }),

    close: async () => {
      closed = true;
      await Promise.allSettled([...inFlight]);
    },
  };
}

/** Properties → what `uvm list` shows. Systems of other owners stay in: the engine marks them external. */
export function toComputeSystems(parsed: unknown, document: string | undefined): ComputeSystemInfo[] {
  const list = Array.isArray(parsed)
    ? (parsed as unknown[])
    : isRecord(parsed) && Array.isArray(parsed.ComputeSystems)
      ? (parsed.ComputeSystems as unknown[])
      : parsed === undefined
        ? []
        : undefined;
  if (list === undefined) throw malformed('HcsEnumerateComputeSystems', document);
  return list.filter(isRecord).flatMap((p) => {
    if (typeof p.Id !== 'string') return [];
    const info: ComputeSystemInfo = {
      id: p.Id,
      systemType: typeof p.SystemType === 'string' ? p.SystemType : 'Unknown',
      state: typeof p.State === 'string' ? p.State : 'Unknown',
    };
    if (typeof p.Owner === 'string') info.owner = p.Owner;
    if (typeof p.RuntimeOsType === 'string') info.runtimeOsType = p.RuntimeOsType;
    return [info];
  });
}

function parseJson(document: string | undefined, what: string): unknown {
  if (document === undefined || document.trim() === '') return undefined;
  try {
    return JSON.parse(document) as unknown;
  } catch {
    throw malformed(what, document);
  }
}

function malformed(what: string, document: string | undefined): UvmLayersError {
  const shown = document === undefined ? 'nothing' : document.length > 200 ? `${document.slice(0, 200)}…` : document;
  return new UvmLayersError('HCS_ERROR', `${what} returned a result uvm-layers cannot read: ${shown}`);
}

/**
 * The error every front end shows when HCS is out of reach; `--backend sim` works everywhere.
 * `library` names the DLL that failed, `cause` says why (not Windows, feature not installed, ...).
 */
export function unavailable(library: string, cause: unknown): UvmLayersError {
  return new UvmLayersError(
    'BACKEND_UNAVAILABLE',
    `the hcs backend needs Windows with the Containers and Hyper-V features (${library} could not be loaded: ${describe(cause)}); use --backend sim`,
  );
}

function nativeApisOrUnavailable(): NativeApis {
  try {
    return loadNativeApis();
  } catch (error) {
    throw unavailable('computecore.dll', error);
  }
}
