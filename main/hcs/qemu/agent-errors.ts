/**
 * Failures the guest agent reports, as HcsErrors: the HRESULT follows the errno (busy, not
 * found, access denied…) so the engine and the CLI treat a real guest refusal like the
 * simulator's, and the message keeps the agent's own text (the path and strerror).
 */
import { HcsError } from '../backend.js';
import { HRESULT } from '../hresult.js';

export interface AgentErrorBody {
  errno: number;
  code: string;
  message: string;
}

const HRESULT_OF_ERRNO: Record<string, number> = {
  ENOENT: HRESULT.ERROR_PATH_NOT_FOUND,
  ENOTDIR: HRESULT.ERROR_PATH_NOT_FOUND,
  EBUSY: HRESULT.ERROR_BUSY,
  EEXIST: HRESULT.ERROR_ALREADY_EXISTS,
  EACCES: HRESULT.E_ACCESSDENIED,
  EPERM: HRESULT.E_ACCESSDENIED,
  EROFS: HRESULT.E_ACCESSDENIED,
  EINVAL: HRESULT.E_INVALIDARG,
  ETIMEDOUT: HRESULT.HCS_E_OPERATION_TIMEOUT,
  ENOTSUP: HRESULT.E_NOTIMPL,
  EOPNOTSUPP: HRESULT.E_NOTIMPL,
  ENOSYS: HRESULT.E_NOTIMPL,
  ENOMEM: HRESULT.E_OUTOFMEMORY,
  ENODEV: HRESULT.ERROR_DEVICE_NOT_CONNECTED,
  ENXIO: HRESULT.ERROR_DEVICE_NOT_CONNECTED,
};

/** An operation the agent refused; `errnoCode` (`EBUSY`…) lets callers test for a cause. */
export class GuestAgentError extends HcsError {
  readonly op: string;
  readonly errno: number;
  readonly errnoCode: string;

  constructor(op: string, body: AgentErrorBody) {
    super(
      HRESULT_OF_ERRNO[body.code] ?? HRESULT.E_FAIL,
      `the guest agent failed ${op}: ${body.message} [${body.code}]`,
    );
    this.op = op;
    this.errno = body.errno;
    this.errnoCode = body.code;
  }
}

export function isAgentErrno(error: unknown, ...codes: string[]): boolean {
  return error instanceof GuestAgentError && codes.includes(error.errnoCode);
}
