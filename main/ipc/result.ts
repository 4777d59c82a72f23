/**
 * The envelope every API call returns across a process boundary. Errors travel as the engine's
 * `ErrorJson` so their code, HRESULT and causes survive IPC and WebSocket serialisation (a thrown
 * Error would arrive as a bare message).
 */
import { UvmLayersError, toUvmLayersError, type ErrorJson } from '../engine/errors.js';
import { SchemaError } from './schema.js';

export type Result<T> = { ok: true; value: T } | { ok: false; error: ErrorJson };

export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

export function fail(error: ErrorJson): Result<never> {
  return { ok: false, error };
}

/** Turns anything thrown by a handler into the JSON error the envelope carries. */
export function errorToJson(error: unknown): ErrorJson {
  if (error instanceof SchemaError) {
    return { code: 'INVALID_ARGUMENT', message: `invalid request: ${error.message}` };
  }
  if (error instanceof UvmLayersError) return error.toJSON();
  if (isErrorJson(error)) return error;
  return toUvmLayersError(error).toJSON();
}

export function isErrorJson(value: unknown): value is ErrorJson {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { code?: unknown }).code === 'string' &&
    typeof (value as { message?: unknown }).message === 'string'
  );
}

/** A caller-side error carrying the fields of an `ErrorJson`; what `unwrap` throws. */
export class ApiError extends Error {
  readonly json: ErrorJson;

  constructor(json: ErrorJson) {
    super(json.message);
    this.name = 'ApiError';
    this.json = json;
  }

  get code(): ErrorJson['code'] {
    return this.json.code;
  }
}

/** The value of a successful result; throws an `ApiError` with the error's fields otherwise. */
export function unwrap<T>(result: Result<T>): T {
  if (result.ok) return result.value;
  throw new ApiError(result.error);
}
