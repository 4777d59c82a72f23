/**
 * The JSON result documents HCS hands back with an operation's outcome. A failure carries a
 * `ResultError`: `{Error, ErrorMessage, ErrorEvents[], Attribution[]}` at the top level (the
 * vmcompute shape hcsshim's processHcsResult reads) or, from some computecore builds, wrapped
 * as `{ResultError: {...}}`. Success documents are whatever the call returns (properties, the
 * enumeration array) and are passed on as text.
 */
import type { HcsErrorEvent } from '../main/hcs/backend.js';

export interface ResultError {
  /** The HRESULT in the document, unsigned, when it has one. */
  hresult?: number;
  message?: string;
  events: HcsErrorEvent[];
  /** Attribution records (why a system stopped, for example), kept as HCS sent them. */
  attribution: unknown[];
}

/** Reads the error part of a result document; `undefined` for an empty or error-free document. */
export function parseResultError(document: string | undefined): ResultError | undefined {
  if (document === undefined || document.trim() === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(document);
  } catch {
    // Not JSON: HCS said something, so keep it as the message rather than lose it.
    return { message: document.trim(), events: [], attribution: [] };
  }
  const record = errorRecord(parsed);
  if (record === undefined) return undefined;
  const result: ResultError = {
    events: arrayOf(record.ErrorEvents).map(toEvent).filter((e): e is HcsErrorEvent => e !== undefined),
    attribution: arrayOf(record.Attribution),
  };
  if (typeof record.Error === 'number' && Number.isFinite(record.Error)) result.hresult = record.Error >>> 0;
  if (typeof record.ErrorMessage === 'string' && record.ErrorMessage !== '') result.message = record.ErrorMessage;
  const hasError =
    result.hresult !== undefined || result.message !== undefined || result.events.length > 0 || result.attribution.length > 0;
  return hasError ? result : undefined;
}

/** The best one-line description a result error offers. */
export function describeResultError(error: ResultError | undefined): string | undefined {
  if (error === undefined) return undefined;
  if (error.message !== undefined) return error.message;
  const first = error.events.find((e) => typeof e.Message === 'string' && e.Message !== '');
  return first?.Message;
}

function errorRecord(parsed: unknown): Record<string, unknown> | undefined {
  if (!isRecord(parsed)) return undefined;
  if (isRecord(parsed.ResultError)) return parsed.ResultError;
  if ('Error' in parsed || 'ErrorMessage' in parsed || 'ErrorEvents' in parsed || 'Attribution' in parsed) {
    return parsed;
  }
  return undefined;
}

function toEvent(value: unknown): HcsErrorEvent | undefined {
  if (!isRecord(value)) return undefined;
  const event: HcsErrorEvent = {};
  if (typeof value.Message === 'string') event.Message = value.Message;
  if (typeof value.StackTrace === 'string') event.StackTrace = value.StackTrace;
  if (typeof value.Provider === 'string') event.Provider = value.Provider;
  if (typeof value.EventId === 'number') event.EventId = value.EventId;
  if (typeof value.Flags === 'number') event.Flags = value.Flags;
  if (typeof value.Source === 'string') event.Source = value.Source;
  return event;
}

function arrayOf(value: unknown): unknown[] {
  return Array.isArray(value) ? (value as unknown[]) : [];
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
