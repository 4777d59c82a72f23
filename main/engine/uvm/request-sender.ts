/**
 * What the resource managers send through. The implementation journals each request (with the
 * request that undoes it) before it goes out, logs it, and reports progress; the managers only
 * build documents and keep their bookkeeping. A request equal to the `undo` of an earlier one
 * is recognised as that request's rollback.
 */
import type { ModifySettingRequest } from '../../hcs/schema.js';
import { withContext } from '../errors.js';

export interface RequestSender {
  /** One ModifySettingRequest to this UVM; `undo` reverses it if the process dies later. */
  modify(request: ModifySettingRequest, undo: ModifySettingRequest, label: string): Promise<void>;
  /** Per-VM file access (never revoked, so nothing to undo). */
  grantVmAccess(hostPath: string, label: string): Promise<void>;
}

/** Sends one request; a failure is rethrown with `failure` (what, on which UVM/device/path) in front. */
export async function sendModify(
  sender: RequestSender,
  request: ModifySettingRequest,
  undo: ModifySettingRequest,
  label: string,
  failure: string,
): Promise<void> {
  try {
    await sender.modify(request, undo, label);
  } catch (error) {
    throw withContext(failure, error);
  }
}
