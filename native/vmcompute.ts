/**
 * vmcompute.dll's wclayer functions (host-side WCIFS layers of process-isolated containers) and
 * GrantVmAccess, as hcsshim's internal/wclayer declares them (HCS-SPEC §12.4). None of these
 * return allocated strings: GetLayerMountPath writes into the caller's buffer, so nothing here
 * needs CoTaskMemFree.
 */
import { callHresultAsync, type NativeFunction, type NativeLibrary, type Out } from './ffi.js';
import { loadKoffi, loadWindowsLibrary, namedType, type Koffi } from './koffi-loader.js';

/** A GUID as koffi marshals the C struct. */
export interface Guid {
  Data1: number;
  Data2: number;
  Data3: number;
  Data4: ArrayLike<number>;
}

/** `struct { int Flavour; PCWSTR HomeDir; }` */
export interface DriverInfo {
  Flavour: number;
  HomeDir: string;
}

/** `WC_LAYER_DESCRIPTOR { GUID LayerId; ULONG Flags; PCWSTR Path; }`; Flags bit 31 = dirty. */
export interface WcLayerDescriptor {
  LayerId: Guid;
  Flags: number;
  Path: string;
}

/** What hcsshim always passes: flavour 1 (the filter driver) and an empty (not NULL) home dir. */
export const STD_DRIVER_INFO: Readonly<DriverInfo> = Object.freeze({ Flavour: 1, HomeDir: '' });

/** Every call resolves with its HRESULT (unsigned 32-bit); `id` is the full layer path. */
export interface VmComputeApi {
  ActivateLayer(info: DriverInfo, id: string): Promise<number>;
  /** `descriptors` is null when there are no parents (count 0). */
  PrepareLayer(
    info: DriverInfo,
    id: string,
    descriptors: readonly WcLayerDescriptor[] | null,
    count: number,
  ): Promise<number>;
  /**
   * Two-call pattern: with `buffer` null, `length` receives the size in UTF-16 units; then again
   * with a buffer of that many units (2 bytes each), which receives the NUL-terminated path.
   */
  GetLayerMountPath(info: DriverInfo, id: string, length: Out<number | bigint>, buffer: Buffer | null): Promise<number>;
  UnprepareLayer(info: DriverInfo, id: string): Promise<number>;
  DeactivateLayer(info: DriverInfo, id: string): Promise<number>;
  NameToGuid(name: string, guid: Out<Guid>): Promise<number>;
  GrantVmAccess(vmId: string, filePath: string): Promise<number>;
}

/** Struct names are prefixed: koffi's type names are process-wide and others may use "GUID". */
export const VMCOMPUTE_TYPE_NAMES = {
  guid: 'uvml_GUID',
  driverInfo: 'uvml_DRIVER_INFO',
  layerDescriptor: 'uvml_WC_LAYER_DESCRIPTOR',
} as const;

export const VMCOMPUTE_PROTOTYPES = {
  ActivateLayer: 'int32_t __stdcall ActivateLayer(const uvml_DRIVER_INFO *info, const char16_t *id)',
  PrepareLayer:
    'int32_t __stdcall PrepareLayer(const uvml_DRIVER_INFO *info, const char16_t *id, const uvml_WC_LAYER_DESCRIPTOR *descriptors, uint32_t count)',
  GetLayerMountPath:
    'int32_t __stdcall GetLayerMountPath(const uvml_DRIVER_INFO *info, const char16_t *id, _Inout_ size_t *length, char16_t *buffer)',
  UnprepareLayer: 'int32_t __stdcall UnprepareLayer(const uvml_DRIVER_INFO *info, const char16_t *id)',
  DeactivateLayer: 'int32_t __stdcall DeactivateLayer(const uvml_DRIVER_INFO *info, const char16_t *id)',
  NameToGuid: 'int32_t __stdcall NameToGuid(const char16_t *name, _Out_ uvml_GUID *guid)',
  GrantVmAccess: 'int32_t __stdcall GrantVmAccess(const char16_t *vmId, const char16_t *filePath)',
} as const;

/** Registers the structs the prototypes name (idempotent). */
export function defineVmComputeTypes(k: Koffi): void {
  const guid = namedType(k, VMCOMPUTE_TYPE_NAMES.guid, (kk) =>
    kk.struct(VMCOMPUTE_TYPE_NAMES.guid, {
      Data1: 'uint32_t',
      Data2: 'uint16_t',
      Data3: 'uint16_t',
      Data4: kk.array('uint8_t', 8),
    }),
  );
  namedType(k, VMCOMPUTE_TYPE_NAMES.driverInfo, (kk) =>
    kk.struct(VMCOMPUTE_TYPE_NAMES.driverInfo, { Flavour: 'int', HomeDir: 'const char16_t *' }),
  );
  namedType(k, VMCOMPUTE_TYPE_NAMES.layerDescriptor, (kk) =>
    kk.struct(VMCOMPUTE_TYPE_NAMES.layerDescriptor, {
      LayerId: guid,
      Flags: 'uint32_t',
      Path: 'const char16_t *',
    }),
  );
}

export function bindVmCompute(vmcompute: NativeLibrary): VmComputeApi {
  const f = (name: keyof typeof VMCOMPUTE_PROTOTYPES): NativeFunction => vmcompute.func(VMCOMPUTE_PROTOTYPES[name]);
  const activate = f('ActivateLayer');
  const prepare = f('PrepareLayer');
  const mountPath = f('GetLayerMountPath');
  const unprepare = f('UnprepareLayer');
  const deactivate = f('DeactivateLayer');
  const nameToGuid = f('NameToGuid');
  const grant = f('GrantVmAccess');
  return {
    ActivateLayer: (info, id) => callHresultAsync(activate, [info, id]),
    PrepareLayer: (info, id, descriptors, count) =>
      callHresultAsync(prepare, [info, id, descriptors === null || descriptors.length === 0 ? null : descriptors, count >>> 0]),
    GetLayerMountPath: (info, id, length, buffer) => callHresultAsync(mountPath, [info, id, length, buffer]),
    UnprepareLayer: (info, id) => callHresultAsync(unprepare, [info, id]),
    DeactivateLayer: (info, id) => callHresultAsync(deactivate, [info, id]),
    NameToGuid: (name, guid) => callHresultAsync(nameToGuid, [name, guid]),
    GrantVmAccess: (vmId, filePath) => callHresultAsync(grant, [vmId, filePath]),
  };
}

let loaded: VmComputeApi | undefined;

/** The koffi binding; Windows only. Throws NativeLoadError with the reason when unavailable. */
export function loadVmCompute(): VmComputeApi {
  if (loaded === undefined) {
    const library = loadWindowsLibrary('vmcompute.dll');
    defineVmComputeTypes(loadKoffi());
    loaded = bindVmCompute(library);
  }
  return loaded;
}

/** `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, lower case, Data4 in byte order (as GUIDs print). */
export function formatGuid(guid: Guid): string {
  const hex = (value: number, width: number): string => (value >>> 0).toString(16).padStart(width, '0');
  const tail = Array.from(guid.Data4, (byte) => hex(byte & 0xff, 2)).join('');
  if (tail.length !== 16) throw new RangeError(`GUID Data4 must hold 8 bytes, got ${guid.Data4.length}`);
  return `${hex(guid.Data1, 8)}-${hex(guid.Data2 & 0xffff, 4)}-${hex(guid.Data3 & 0xffff, 4)}-${tail.slice(0, 4)}-${tail.slice(4)}`;
}

/** The inverse of formatGuid, for building descriptors from known ids (and for tests). */
export function parseGuid(text: string): Guid {
  const match = /^([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{12})$/i.exec(text);
  if (match === null) throw new RangeError(`not a GUID: ${text}`);
  const [, d1 = '', d2 = '', d3 = '', d4a = '', d4b = ''] = match;
  const bytes = (d4a + d4b).match(/../g) ?? [];
  return {
    Data1: Number.parseInt(d1, 16),
    Data2: Number.parseInt(d2, 16),
    Data3: Number.parseInt(d3, 16),
    Data4: Uint8Array.from(bytes, (b) => Number.parseInt(b, 16)),
  };
}
