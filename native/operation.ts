/**
 * The operation pattern of HCS-SPEC §12.2 (hcsshim's runOperation), with its watchdog rule:
 *
 *   create an operation → make the call with it → if the call was refused, fetch the operation's
 *   result for context → otherwise wait with a timeout → on HCS_E_OPERATION_TIMEOUT cancel, report,
 *   and wait again → always close the operation, also when something throws.
 *
 * A call in flight is never abandoned: returning early would let the caller close handles while
 * computecore still uses them (hcsshim saw EXCEPTION_ACCESS_VIOLATION from exactly that), and the
 * device might attach after we had reported failure. So a timeout is reported through
 * `onTimeout`, the operation is cancelled once, and the wait goes on until HCS answers (with a
 * further report after every `timeoutMs` of waiting).
 *
 * The wait is made in slices of at most `waitSliceMs`: koffi runs async calls on libuv's small
 * thread pool (4 threads by default), which fs and crypto share, and a wait that blocked a pool
 * thread for minutes would stall the state store's file writes behind it. A slice that ends
 * with HCS_E_OPERATION_TIMEOUT lasted its full length, so the slices add up to the time waited
 * without reading a clock.
 */
import { HRESULT } from '../main/hcs/hresult.js';
import type { ComputeCoreApi, HcsOperation, HcsResultString } from './computecore.js';
import { INFINITE } from './computecore.js';
import { isNull, type Out } from './ffi.js';
import { describeHresult, failed, hcsCallError, isCondition, timeoutError } from './hcs-errors.js';
import { parseResultError } from './result-document.js';

/** hcsshim's syscall watchdog default (HCSSHIM_TIMEOUT_SYSCALLWATCHER): 4 minutes. */
export const DEFAULT_TIMEOUT_MS = 240_000;
/** The longest one HcsWaitForOperationResult call may hold a libuv pool thread. */
export const DEFAULT_WAIT_SLICE_MS = 1000;

/** What a timeout report says. */
export interface OperationTimeout {
  /** The call and its subject, e.g. `HcsModifyComputeSystem u1`. */
  what: string;
  timeoutMs: number;
  /** Time spent waiting so far. */
  elapsedMs: number;
  /** How many times the deadline has passed so far (the first one cancels). */
  timeouts: number;
  /** HcsCancelOperation's HRESULT, on the report that cancelled. */
  cancelHresult?: number;
}

export interface OperationOptions {
  /** How long to wait before cancelling and reporting (then again per report). Default 4 minutes; INFINITE never cancels. */
  timeoutMs?: number;
  /** The longest single HcsWaitForOperationResult call. Default 1 s. */
  waitSliceMs?: number;
  /** Called when the deadline passes and after each further `timeoutMs`; the default writes one warning line. */
  onTimeout?: (timeout: OperationTimeout) => void;
}

/** The function under the operation: calls one Hcs* export with it and returns the HRESULT. */
export type OperationCall = (operation: HcsOperation) => Promise<number>;

/**
 * Runs `call` under a new operation and waits for its outcome. Resolves with the result
 * document (undefined when HCS returned none); rejects with an HcsError, or a TIMEOUT error
 * when the operation had to be cancelled and then failed.
 */
export async function runOperation(
  api: ComputeCoreApi,
  what: string,
  call: OperationCall,
  options: OperationOptions = {},
): Promise<string | undefined> {
  const operation = createOperation(api, what);
  try {
    await startCall(api, operation, what, call);
    return await waitForResult(api, operation, what, options);
  } finally {
    api.HcsCloseOperation(operation);
  }
}

/**
 * The fire-and-forget variant (hcsshim's shutdown and terminate): the call is made and the
 * operation closed at once; HCS keeps running it. Rejects only if the call was refused.
 */
export async function startOperation(api: ComputeCoreApi, what: string, call: OperationCall): Promise<void> {
  const operation = createOperation(api, what);
  try {
    await startCall(api, operation, what, call);
  } finally {
    api.HcsCloseOperation(operation);
  }
}

/** Reads a result string computecore allocated and frees it, exactly once, even if reading throws. */
export function takeResultString(api: ComputeCoreApi, pointer: HcsResultString | null | undefined): string | undefined {
  if (isNull(pointer)) return undefined;
  try {
    return api.readWideString(pointer);
  } finally {
    api.LocalFree(pointer);
  }
}

function createOperation(api: ComputeCoreApi, what: string): HcsOperation {
  const operation = api.HcsCreateOperation(null, null);
  if (isNull(operation)) throw hcsCallError(`HcsCreateOperation for ${what}`, HRESULT.E_OUTOFMEMORY);
  return operation;
}

async function startCall(api: ComputeCoreApi, operation: HcsOperation, what: string, call: OperationCall): Promise<void> {
  const hr = await call(operation);
  // Some calls answer "pending" to mean "started": that is not a failure.
  if (!failed(hr) || isCondition(hr, 'pending')) return;
  throw hcsCallError(what, hr, parseResultError(await contextOf(api, operation)));
}

/** The refused call's operation may hold an error document; its absence is no new failure. */
async function contextOf(api: ComputeCoreApi, operation: HcsOperation): Promise<string | undefined> {
  const out: Out<HcsResultString> = [null];
  try {
    await api.HcsGetOperationResult(operation, out);
  } catch {
    // Keep the call's own HRESULT as the error; this lookup was only for detail.
  }
  return takeResultString(api, out[0]);
}

async function waitForResult(
  api: ComputeCoreApi,
  operation: HcsOperation,
  what: string,
  options: OperationOptions,
): Promise<string | undefined> {
  // At least 1 ms: a zero deadline would report and re-wait in a busy loop.
  const timeoutMs = Math.min(Math.max(1, Math.floor(options.timeoutMs ?? DEFAULT_TIMEOUT_MS)), INFINITE);
  const sliceMs = Math.max(1, Math.floor(options.waitSliceMs ?? DEFAULT_WAIT_SLICE_MS));
  const onTimeout = options.onTimeout ?? warnTimeout;
  let waited = 0;
  let nextReport = timeoutMs;
  let timeouts = 0;
  let cancelled = false;
  for (;;) {
    const waitMs = timeoutMs === INFINITE ? sliceMs : Math.min(sliceMs, nextReport - waited);
    const out: Out<HcsResultString> = [null];
    const hr = await api.HcsWaitForOperationResult(operation, waitMs, out);
    const document = takeResultString(api, out[0]);
    if (hr >>> 0 === HRESULT.HCS_E_OPERATION_TIMEOUT) {
      waited += waitMs;
      if (timeoutMs !== INFINITE && waited >= nextReport) {
        nextReport += timeoutMs;
        timeouts++;
        const report: OperationTimeout = { what, timeoutMs, elapsedMs: waited, timeouts };
        if (!cancelled) {
          cancelled = true;
          report.cancelHresult = await cancel(api, operation);
        }
        notify(onTimeout, report);
      }
      continue;
    }
    if (failed(hr)) {
      const error = hcsCallError(what, hr, parseResultError(document));
      throw cancelled ? timeoutError(what, timeoutMs, error) : error;
    }
    // A cancelled operation that still succeeded did its work: report what HCS did, not the timeout.
    return document;
  }
}

async function cancel(api: ComputeCoreApi, operation: HcsOperation): Promise<number> {
  try {
    return await api.HcsCancelOperation(operation);
  } catch {
    // The wait goes on either way; a failed cancel only means HCS runs it to the end.
    return HRESULT.E_FAIL;
  }
}

/** A throwing reporter must not end the wait: that would abandon the call it reports on. */
function notify(onTimeout: (timeout: OperationTimeout) => void, timeout: OperationTimeout): void {
  try {
    onTimeout(timeout);
  } catch {
    warnTimeout(timeout);
  }
}

function warnTimeout(timeout: OperationTimeout): void {
  const cancelled =
    timeout.cancelHresult === undefined ? '' : `; cancel requested (${describeHresult(timeout.cancelHresult)})`;
  console.warn(
    `uvm-layers: ${timeout.what} has not finished after ${timeout.elapsedMs} ms${cancelled}; ` +
      'still waiting, because an HCS call in flight is never abandoned',
  );
}
