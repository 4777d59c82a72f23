/**
 * computecore.dll, the documented HCS API (ComputeCore.h; Windows 10 1809 / Server 2019 and
 * later), plus kernel32's LocalFree for the result documents it allocates (HCS-SPEC §12.2).
 *
 * Everything above native/ depends on `ComputeCoreApi` only: `loadComputeCore()` implements it
 * with koffi on Windows, and the tests implement it with a recording fake.
 */
import { callHresultAsync, type NativeFunction, type NativeLibrary, type NativePointer, type Out } from './ffi.js';
import { loadKoffi, loadWindowsLibrary } from './koffi-loader.js';

/** An HCS_OPERATION handle. */
export type HcsOperation = NativePointer;
/** An HCS_SYSTEM handle. */
export type HcsSystem = NativePointer;
/** A PWSTR that computecore allocated; the caller frees it with LocalFree, once. */
export type HcsResultString = NativePointer;

/** `HcsOpenComputeSystem`'s requestedAccess is reserved and must be GENERIC_ALL. */
export const GENERIC_ALL = 0x10000000;
/** HcsWaitForOperationResult's "no timeout". */
export const INFINITE = 0xffffffff;

/**
 * The functions as documented, one method per export, same parameter order. HRESULT-returning
 * calls resolve with the HRESULT as an unsigned 32-bit number and never reject for a failure
 * HRESULT; they reject only when the call itself could not be made.
 */
export interface ComputeCoreApi {
  /** NULL (`null`) when HCS could not allocate the operation. */
  HcsCreateOperation(context: null, callback: null): HcsOperation | null;
  HcsCloseOperation(operation: HcsOperation): void;
  HcsCancelOperation(operation: HcsOperation): Promise<number>;
  HcsWaitForOperationResult(
    operation: HcsOperation,
    timeoutMs: number,
    resultDocument: Out<HcsResultString>,
  ): Promise<number>;
  HcsGetOperationResult(operation: HcsOperation, resultDocument: Out<HcsResultString>): Promise<number>;
  HcsEnumerateComputeSystems(query: string | null, operation: HcsOperation): Promise<number>;
  /** Synchronous in HCS (no operation); the handle is released with HcsCloseComputeSystem. */
  HcsOpenComputeSystem(id: string, requestedAccess: number, computeSystem: Out<HcsSystem>): Promise<number>;
  HcsCloseComputeSystem(computeSystem: HcsSystem): void;
  HcsCreateComputeSystem(
    id: string,
    configuration: string,
    operation: HcsOperation,
    securityDescriptor: null,
    computeSystem: Out<HcsSystem>,
  ): Promise<number>;
  HcsStartComputeSystem(computeSystem: HcsSystem, operation: HcsOperation, options: string | null): Promise<number>;
  HcsShutDownComputeSystem(
    computeSystem: HcsSystem,
    operation: HcsOperation,
    options: string | null,
  ): Promise<number>;
  HcsTerminateComputeSystem(
    computeSystem: HcsSystem,
    operation: HcsOperation,
    options: string | null,
  ): Promise<number>;
  HcsModifyComputeSystem(
    computeSystem: HcsSystem,
    operation: HcsOperation,
    configuration: string,
    identity: null,
  ): Promise<number>;
  HcsGetComputeSystemProperties(
    computeSystem: HcsSystem,
    operation: HcsOperation,
    propertyQuery: string | null,
  ): Promise<number>;
  /** Absent when this build of computecore.dll does not export it (vmcompute's GrantVmAccess then). */
  HcsGrantVmAccess?: (vmId: string, filePath: string) => Promise<number>;
  /** kernel32!LocalFree, which the docs name for result documents. */
  LocalFree(memory: HcsResultString): void;
  /** Reads the NUL-terminated UTF-16 string at `pointer` (does not free it). */
  readWideString(pointer: HcsResultString): string;
}

/**
 * The C declarations handed to koffi. HRESULT is a 32-bit signed integer and PCWSTR a
 * `const char16_t *`, so koffi encodes every JS string argument as UTF-16. `_Out_ void **`
 * receives a handle or a result string as a BigInt. WINAPI is __stdcall (ignored on x64).
 */
export const COMPUTECORE_PROTOTYPES = {
  HcsCreateOperation: 'void * __stdcall HcsCreateOperation(const void *context, void *callback)',
  HcsCloseOperation: 'void __stdcall HcsCloseOperation(void *operation)',
  HcsCancelOperation: 'int32_t __stdcall HcsCancelOperation(void *operation)',
  HcsWaitForOperationResult:
    'int32_t __stdcall HcsWaitForOperationResult(void *operation, uint32_t timeoutMs, _Out_ void **resultDocument)',
  HcsGetOperationResult:
    'int32_t __stdcall HcsGetOperationResult(void *operation, _Out_ void **resultDocument)',
  HcsEnumerateComputeSystems:
    'int32_t __stdcall HcsEnumerateComputeSystems(const char16_t *query, void *operation)',
  HcsOpenComputeSystem:
    'int32_t __stdcall HcsOpenComputeSystem(const char16_t *id, uint32_t requestedAccess, _Out_ void **computeSystem)',
  HcsCloseComputeSystem: 'void __stdcall HcsCloseComputeSystem(void *computeSystem)',
  HcsCreateComputeSystem:
    'int32_t __stdcall HcsCreateComputeSystem(const char16_t *id, const char16_t *configuration, void *operation, const void *securityDescriptor, _Out_ void **computeSystem)',
  HcsStartComputeSystem:
    'int32_t __stdcall HcsStartComputeSystem(void *computeSystem, void *operation, const char16_t *options)',
  HcsShutDownComputeSystem:
    'int32_t __stdcall HcsShutDownComputeSystem(void *computeSystem, void *operation, const char16_t *options)',
  HcsTerminateComputeSystem:
    'int32_t __stdcall HcsTerminateComputeSystem(void *computeSystem, void *operation, const char16_t *options)',
  HcsModifyComputeSystem:
    'int32_t __stdcall HcsModifyComputeSystem(void *computeSystem, void *operation, const char16_t *configuration, void *identity)',
  HcsGetComputeSystemProperties:
    'int32_t __stdcall HcsGetComputeSystemProperties(void *computeSystem, void *operation, const char16_t *propertyQuery)',
  HcsGrantVmAccess: 'int32_t __stdcall HcsGrantVmAccess(const char16_t *vmId, const char16_t *filePath)',
} as const;

export const KERNEL32_PROTOTYPES = {
  LocalFree: 'void * __stdcall LocalFree(void *memory)',
} as const;

/**
 * Builds the API from loaded libraries. Every function is declared up front so a missing
 * export fails here, at load, rather than in the middle of a mount; HcsGrantVmAccess alone is
 * optional.
 */
export function bindComputeCore(
  computecore: NativeLibrary,
  kernel32: NativeLibrary,
  readWideString: (pointer: HcsResultString) => string,
): ComputeCoreApi {
  const f = (name: Exclude<keyof typeof COMPUTECORE_PROTOTYPES, 'HcsGrantVmAccess'>): NativeFunction =>
    computecore.func(COMPUTECORE_PROTOTYPES[name]);
  const createOperation = f('HcsCreateOperation');
  const closeOperation = f('HcsCloseOperation');
  const cancelOperation = f('HcsCancelOperation');
  const waitForOperationResult = f('HcsWaitForOperationResult');
  const getOperationResult = f('HcsGetOperationResult');
  const enumerate = f('HcsEnumerateComputeSystems');
  const open = f('HcsOpenComputeSystem');
  const close = f('HcsCloseComputeSystem');
  const create = f('HcsCreateComputeSystem');
  const start = f('HcsStartComputeSystem');
  const shutDown = f('HcsShutDownComputeSystem');
  const terminate = f('HcsTerminateComputeSystem');
  const modify = f('HcsModifyComputeSystem');
  const properties = f('HcsGetComputeSystemProperties');
  const grant = optionalFunction(computecore, COMPUTECORE_PROTOTYPES.HcsGrantVmAccess);
  const localFree = kernel32.func(KERNEL32_PROTOTYPES.LocalFree);

  const api: ComputeCoreApi = {
    HcsCreateOperation: (context, callback) => (createOperation(context, callback) as HcsOperation | null) ?? null,
    HcsCloseOperation: (operation) => void closeOperation(operation),
    HcsCancelOperation: (operation) => callHresultAsync(cancelOperation, [operation]),
    HcsWaitForOperationResult: (operation, timeoutMs, resultDocument) =>
      callHresultAsync(waitForOperationResult, [operation, timeoutMs >>> 0, resultDocument]),
    HcsGetOperationResult: (operation, resultDocument) =>
      callHresultAsync(getOperationResult, [operation, resultDocument]),
    HcsEnumerateComputeSystems: (query, operation) => callHresultAsync(enumerate, [query, operation]),
    HcsOpenComputeSystem: (id, requestedAccess, computeSystem) =>
      callHresultAsync(open, [id, requestedAccess >>> 0, computeSystem]),
    HcsCloseComputeSystem: (computeSystem) => void close(computeSystem),
    HcsCreateComputeSystem: (id, configuration, operation, securityDescriptor, computeSystem) =>
      callHresultAsync(create, [id, configuration, operation, securityDescriptor, computeSystem]),
    HcsStartComputeSystem: (computeSystem, operation, options) =>
      callHresultAsync(start, [computeSystem, operation, options]),
    HcsShutDownComputeSystem: (computeSystem, operation, options) =>
      callHresultAsync(shutDown, [computeSystem, operation, options]),
    HcsTerminateComputeSystem: (computeSystem, operation, options) =>
      callHresultAsync(terminate, [computeSystem, operation, options]),
    HcsModifyComputeSystem: (computeSystem, operation, configuration, identity) =>
      callHresultAsync(modify, [computeSystem, operation, configuration, identity]),
    HcsGetComputeSystemProperties: (computeSystem, operation, propertyQuery) =>
      callHresultAsync(properties, [computeSystem, operation, propertyQuery]),
    LocalFree: (memory) => void localFree(memory),
    readWideString,
  };
  if (grant !== undefined) {
    api.HcsGrantVmAccess = (vmId, filePath) => callHresultAsync(grant, [vmId, filePath]);
  }
  return api;
}

function optionalFunction(library: NativeLibrary, prototype: string): NativeFunction | undefined {
  try {
    return library.func(prototype);
  } catch {
    return undefined;
  }
}

let loaded: ComputeCoreApi | undefined;

/** The koffi binding; Windows only. Throws NativeLoadError with the reason when unavailable. */
export function loadComputeCore(): ComputeCoreApi {
  if (loaded === undefined) {
    const computecore = loadWindowsLibrary('computecore.dll');
    const kernel32 = loadWindowsLibrary('kernel32.dll');
    const k = loadKoffi();
    loaded = bindComputeCore(computecore, kernel32, (pointer) => k.decode.string16(pointer));
  }
  return loaded;
}
