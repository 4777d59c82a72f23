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
  HCS_E_OPERATION_NOT_STARTED: 0x80370117,
  HCS_E_PROCESS_ALREADY_STOPPED: 0x8037011f,
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
  return (u & 0xffff0000) === 0x80070000 ? u & 0xffff : undefined;
}
