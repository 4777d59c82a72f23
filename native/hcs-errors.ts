/**
 * Turns an HRESULT (and the result document that came with it) into the engine's errors:
 * an `HcsError` that keeps the HRESULT, HCS's message and the document's error events. Known
 * codes are named by `hresult.ts` (HcsError does that); FACILITY_WIN32 codes are unwrapped to
 * the Win32 error number, the way hcsshim reports them.
 */
import { HcsError } from '../main/hcs/backend.js';
import { UvmLayersError } from '../main/engine/errors.js';
import { formatHresult, HRESULT, hresultName, win32Code } from '../main/hcs/hresult.js';
import { describeResultError, type ResultError } from './result-document.js';

/** vmcompute and computecore report the same conditions with different facilities/severities. */
const SAME_CODES = {
  pending: [HRESULT.HCS_E_OPERATION_PENDING_V2, HRESULT.HCS_E_OPERATION_PENDING],
  notFound: [HRESULT.HCS_E_SYSTEM_NOT_FOUND_V2, HRESULT.HCS_E_SYSTEM_NOT_FOUND],
  alreadyStopped: [HRESULT.HCS_E_SYSTEM_ALREADY_STOPPED_V2, HRESULT.HCS_E_SYSTEM_ALREADY_STOPPED],
  accessDenied: [HRESULT.E_ACCESSDENIED, HRESULT.HCS_E_ACCESS_DENIED],
  /** The export exists but does nothing on this build: try the older API instead. */
  notImplemented: [HRESULT.E_NOTIMPL, HRESULT.ERROR_PROC_NOT_FOUND, HRESULT.ERROR_INVALID_FUNCTION],
} as const satisfies Record<string, readonly number[]>;

export type HcsCondition = keyof typeof SAME_CODES;

export function isCondition(hr: number, condition: HcsCondition): boolean {
  return (SAME_CODES[condition] as readonly number[]).includes(hr >>> 0);
}

export function failed(hr: number): boolean {
  return (hr | 0) < 0;
}

/**
 * The error for a failed HCS call. `what` names the call and its subject
 * (`HcsModifyComputeSystem u1`); the document, when HCS sent one, supplies the reason.
 */
export function hcsCallError(what: string, hr: number, document?: ResultError): HcsError {
  const parts = [`${what} failed`];
  const reason = describeResultError(document);
  if (reason !== undefined) parts.push(reason);
  const win32 = win32Code(hr);
  // Name the Win32 error only when hresult.ts cannot: HcsError appends the HRESULT's name.
  if (win32 !== undefined && hresultName(hr) === undefined) parts.push(`Win32 error ${win32} (0x${win32.toString(16)})`);
  if (isCondition(hr, 'accessDenied')) {
    parts.push('uvm-layers must run as an administrator or a member of Hyper-V Administrators');
  }
  return new HcsError(hr >>> 0, parts.join(': '), document?.events ?? []);
}

/**
 * A call that outlived its timeout and was cancelled, then finished with a failure. The HCS
 * error stays the cause, so its HRESULT and events are not lost.
 */
export function timeoutError(what: string, timeoutMs: number, cause: HcsError): UvmLayersError {
  return new UvmLayersError(
    'TIMEOUT',
    `${what} did not finish within ${timeoutMs} ms and was cancelled: ${cause.message}`,
    { hresult: cause.hresult ?? HRESULT.HCS_E_OPERATION_TIMEOUT, causes: [cause] },
  );
}

/** Used in log lines and timeout reports. */
export function describeHresult(hr: number): string {
  const name = hresultName(hr);
  return name === undefined ? formatHresult(hr) : `${name} (${formatHresult(hr)})`;
}
