import { formatHresult } from '../hcs/hresult.js';

/** Stable codes users and scripts can test for; messages may change, codes do not. */
export type ErrorCode =
  | 'INVALID_ARGUMENT'
  | 'UVM_NOT_FOUND'
  | 'UVM_EXISTS'
  | 'UVM_BUSY'
  | 'CONTAINER_NOT_FOUND'
  | 'CONTAINER_EXISTS'
  | 'LAYER_NOT_FOUND'
  | 'SCRATCH_NOT_FOUND'
  | 'NO_AVAILABLE_LOCATION'
  | 'VPMEM_LAYER_TOO_LARGE'
  | 'NOT_ATTACHED'
  | 'NOT_SUPPORTED'
  | 'HCS_ERROR'
  | 'MOUNT_FAILED'
  | 'UNMOUNT_FAILED'
  | 'ROLLBACK_FAILED'
  | 'RECOVERY_FAILED'
  | 'STORE_CORRUPT'
  | 'STORE_VERSION'
  | 'STORE_LOCKED'
  | 'STORE_IO'
  | 'BACKEND_UNAVAILABLE'
  | 'TIMEOUT'
  | 'INTERNAL';

export interface ErrorJson {
  code: ErrorCode;
  message: string;
  hresult?: string;
  causes?: ErrorJson[];
}

/**
 * The one error type of the engine: a stable code, a message that names the UVM, device and
 * path involved, the HRESULT when HCS produced one, and every cause (several for an aggregate).
 */
export class UvmLayersError extends Error {
  readonly code: ErrorCode;
  readonly hresult: number | undefined;
  readonly causes: readonly UvmLayersError[];

  constructor(
    code: ErrorCode,
    message: string,
    options: { hresult?: number; causes?: readonly unknown[] } = {},
  ) {
    super(message);
    this.name = 'UvmLayersError';
    this.code = code;
    this.hresult = options.hresult === undefined ? undefined : options.hresult >>> 0;
    this.causes = (options.causes ?? []).map(toUvmLayersError);
  }

  toJSON(): ErrorJson {
    const json: ErrorJson = { code: this.code, message: this.message };
    if (this.hresult !== undefined) json.hresult = formatHresult(this.hresult);
    if (this.causes.length > 0) json.causes = this.causes.map((c) => c.toJSON());
    return json;
  }

  /** Rebuilds an error that crossed a process or IPC boundary as JSON. */
  static fromJSON(json: ErrorJson): UvmLayersError {
    const hresult = json.hresult === undefined ? undefined : Number.parseInt(json.hresult, 16);
    return new UvmLayersError(json.code, json.message, {
      ...(hresult === undefined ? {} : { hresult }),
      causes: (json.causes ?? []).map((c) => UvmLayersError.fromJSON(c)),
    });
  }
}

/** Wraps a failure with context while keeping the cause's identity (code, HRESULT). */
export function wrapError(code: ErrorCode, message: string, cause: unknown): UvmLayersError {
  const inner = toUvmLayersError(cause);
  return new UvmLayersError(code, `${message}: ${inner.message}`, {
    ...(inner.hresult === undefined ? {} : { hresult: inner.hresult }),
    causes: [inner],
  });
}

/** Several failures of one operation, reported together; every cause is kept. */
export function aggregateError(
  code: ErrorCode,
  summary: string,
  failures: readonly unknown[],
): UvmLayersError {
  const causes = failures.map(toUvmLayersError);
  const only = causes.length === 1 ? causes[0] : undefined;
  return new UvmLayersError(code, `${summary}: ${causes.map((c) => c.message).join('; ')}`, {
    ...(only?.hresult === undefined ? {} : { hresult: only.hresult }),
    causes,
  });
}

export function toUvmLayersError(error: unknown): UvmLayersError {
  if (error instanceof UvmLayersError) return error;
  if (error instanceof Error) {
    const errno = (error as NodeJS.ErrnoException).code;
    if (typeof errno === 'string' && errno.startsWith('E')) {
      return new UvmLayersError('STORE_IO', error.message);
    }
    return new UvmLayersError('INTERNAL', error.message);
  }
  return new UvmLayersError('INTERNAL', String(error));
}

export function isErrorCode(error: unknown, code: ErrorCode): boolean {
  return error instanceof UvmLayersError && error.code === code;
}

/** Prefixes context (UVM, device, path) to a failure; its code and HRESULT stay the cause's. */
export function withContext(message: string, cause: unknown): UvmLayersError {
  const inner = toUvmLayersError(cause);
  return wrapError(inner.code, message, inner);
}
