/** HRESULTs the engine and its backends name. Values are unsigned 32-bit. */
export const HRESULT = {
  S_OK: 0x00000000,
  E_FAIL: 0x80004005,
  E_INVALIDARG: 0x80070057,
  E_ACCESSDENIED: 0x80070005,
  ERROR_FILE_NOT_FOUND: 0x80070002,
  ERROR_PATH_NOT_FOUND: 0x80070003,
  ERROR_SHARING_VIOLATION: 0x80070020,
  ERROR_NOT_READY: 0x80070015,
  ERROR_BUSY: 0x800700aa,
  ERROR_ALREADY_EXISTS: 0x800700b7,
  ERROR_NOT_FOUND: 0x80070490,
  ERROR_DEVICE_NOT_CONNECTED: 0x8007048f,
  HCS_E_OPERATION_PENDING: 0xc0370103,
  HCS_E_INVALID_STATE: 0xc0370105,
  HCS_E_UNEXPECTED_EXIT: 0xc0370106,
  HCS_E_UNKNOWN_MESSAGE: 0xc037010b,
  HCS_E_INVALID_JSON: 0xc037010d,
  HCS_E_SYSTEM_NOT_FOUND: 0xc037010e,
  HCS_E_SYSTEM_ALREADY_STOPPED: 0xc0370110,
  HCS_E_OPERATION_TIMEOUT: 0x80370118,
  HCS_E_PROCESS_ALREADY_STOPPED: 0x8037011f,
  E_NOTIMPL: 0x80004001,
  E_OUTOFMEMORY: 0x8007000e,
  ERROR_INVALID_FUNCTION: 0x80070001,
  ERROR_PROC_NOT_FOUND: 0x8007007f,
  ERROR_CANCELLED: 0x800704c7,
  // computecore.dll (ComputeCore.h, the documented HCS API) reports its errors in the 0x8037xxxx
  // form. Codes with no vmcompute counterpart above keep their winerror.h name; where the name
  // is already taken by vmcompute's 0xC037xxxx form, the computecore form carries `_V2`.
  HCS_E_TERMINATED_DURING_START: 0x80370100,
  HCS_E_IMAGE_MISMATCH: 0x80370101,
  HCS_E_HYPERV_NOT_INSTALLED: 0x80370102,
  HCS_E_INVALID_STATE_V2: 0x80370105,
  HCS_E_UNEXPECTED_EXIT_V2: 0x80370106,
  HCS_E_TERMINATED: 0x80370107,
  HCS_E_CONNECT_FAILED: 0x80370108,
  HCS_E_CONNECTION_TIMEOUT: 0x80370109,
  HCS_E_CONNECTION_CLOSED: 0x8037010a,
  HCS_E_UNKNOWN_MESSAGE_V2: 0x8037010b,
  HCS_E_UNSUPPORTED_PROTOCOL_VERSION: 0x8037010c,
  HCS_E_INVALID_JSON_V2: 0x8037010d,
  HCS_E_SYSTEM_NOT_FOUND_V2: 0x8037010e,
  HCS_E_SYSTEM_ALREADY_EXISTS: 0x8037010f,
  HCS_E_SYSTEM_ALREADY_STOPPED_V2: 0x80370110,
  HCS_E_PROTOCOL_ERROR: 0x80370111,
  HCS_E_INVALID_LAYER: 0x80370112,
  HCS_E_SERVICE_NOT_AVAILABLE: 0x80370114,
  HCS_E_OPERATION_NOT_STARTED_V2: 0x80370115,
  HCS_E_OPERATION_ALREADY_STARTED: 0x80370116,
  HCS_E_OPERATION_PENDING_V2: 0x80370117,
  HCS_E_OPERATION_SYSTEM_CALLBACK_ALREADY_SET: 0x80370119,
  HCS_E_OPERATION_RESULT_ALLOCATION_FAILED: 0x8037011a,
  HCS_E_ACCESS_DENIED: 0x8037011b,
  HCS_E_GUEST_CRITICAL_ERROR: 0x8037011c,
  HCS_E_SERVICE_DISCONNECT: 0x8037011e,
  HCS_E_SYSTEM_NOT_CONFIGURED_FOR_OPERATION: 0x80370120,
  HCS_E_OPERATION_ALREADY_CANCELLED: 0x80370121,
} as const;

export type HresultName = keyof typeof HRESULT;

const NAMES = new Map<number, HresultName>(
  Object.entries(HRESULT).map(([name, value]) => [value, name as HresultName]),
);

/** The symbolic name of a known HRESULT, if any. */
export function hresultName(hr: number): HresultName | undefined {
  return NAMES.get(hr >>> 0);
}

/** `0x%08x`, the form errors carry across the CLI and IPC. */
export function formatHresult(hr: number): string {
  return `0x${(hr >>> 0).toString(16).padStart(8, '0')}`;
}

/** A failure HRESULT has its top bit set. */
export function isFailure(hr: number): boolean {
  return (hr | 0) < 0;
}

/** FACILITY_WIN32 (0x8007xxxx) carries a Win32 error code in its low 16 bits. */
export function win32Code(hr: number): number | undefined {
  const u = hr >>> 0;
  return (u & 0xffff0000) >>> 0 === 0x80070000 ? u & 0xffff : undefined;
}
