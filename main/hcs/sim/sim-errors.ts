/**
 * The simulator's refusals, one constructor per kind of failure, so the HRESULT chosen for each
 * case lives in one place. The table of which case gets which code is at the top of
 * sim-backend.ts; messages are written by the callers and always name the UVM and the slot,
 * share or path concerned.
 */
import { HcsError } from '../backend.js';
import { HRESULT } from '../hresult.js';

export const refuse = {
  /** The compute system id is unknown. */
  systemNotFound: (id: string): HcsError =>
    new HcsError(HRESULT.HCS_E_SYSTEM_NOT_FOUND, `utility VM ${id} does not exist`),
  /** The system or layer is in the wrong state for the call (not running, not activated...). */
  invalidState: (message: string): HcsError => new HcsError(HRESULT.HCS_E_INVALID_STATE, message),
  /** A document HCS's JSON schema rejects: not an object, unknown field, wrong type, unknown enum. */
  invalidJson: (message: string): HcsError => new HcsError(HRESULT.HCS_E_INVALID_JSON, message),
  /** Well-formed JSON with a wrong or missing value, an unknown resource path or a broken limit. */
  invalidArg: (message: string): HcsError => new HcsError(HRESULT.E_INVALIDARG, message),
  /** The slot, share, mapping, system or layer state already exists. */
  alreadyExists: (message: string): HcsError => new HcsError(HRESULT.ERROR_ALREADY_EXISTS, message),
  /** The device, mapping, share, guest mount or combined root to remove is not there. */
  notFound: (message: string): HcsError => new HcsError(HRESULT.ERROR_NOT_FOUND, message),
  /** A host file (VHD, share folder, layer folder, granted file) does not exist. */
  fileNotFound: (message: string): HcsError => new HcsError(HRESULT.ERROR_FILE_NOT_FOUND, message),
  /** A guest path a combine needs (layer mount, VSMB share, scratch) is not there. */
  pathNotFound: (message: string): HcsError => new HcsError(HRESULT.ERROR_PATH_NOT_FOUND, message),
  /** The target is in use: mounted over, still used by a combined root, still prepared. */
  busy: (message: string): HcsError => new HcsError(HRESULT.ERROR_BUSY, message),
  /** Writing through something read-only, attaching RW without a grant, removing a reserved slot. */
  accessDenied: (message: string): HcsError => new HcsError(HRESULT.E_ACCESSDENIED, message),
  /** `--sim-fail-at N`. */
  simulatedFailure: (n: number): HcsError =>
    new HcsError(
      HRESULT.E_FAIL,
      `simulated HCS failure: request ${n} failed because of --sim-fail-at ${n}`,
    ),
};
