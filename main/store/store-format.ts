/**
 * The on-disk JSON shapes (marker, records, intents) and their validation. Every file carries a
 * format version so an older uvm-layers refuses what a newer one wrote instead of mangling it.
 */
import { corruptFile, invalidArgument, newerFormat, newerStore } from './store-errors.js';

export const STORE_FORMAT_VERSION = 1;
export const MARKER_FORMAT = 'uvm-layers-state';

/** A record file as read: live data, or a tombstone that keeps the revision counter of a deleted key. */
export type StoredRecord =
  { revision: number; deleted: false; data: unknown } | { revision: number; deleted: true };

/** JSON for a value we are asked to store; refuses what JSON cannot carry instead of losing it. */
export function encodeValue(what: string, value: unknown): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw invalidArgument(`Cannot store ${what}: it is not JSON-serializable (${detail}).`);
  }
  if (json === undefined) {
    throw invalidArgument(`Cannot store ${what}: ${typeof value} is not a JSON value.`);
  }
  return json;
}

/** `dataJson` comes from encodeValue, so the record is built without a second stringify. */
export function serializeRecord(revision: number, dataJson: string): string {
  return `{"format":${STORE_FORMAT_VERSION},"revision":${revision},"data":${dataJson}}\n`;
}

export function serializeTombstone(revision: number): string {
  return `${JSON.stringify({ format: STORE_FORMAT_VERSION, revision, deleted: true })}\n`;
}

export function parseRecord(file: string, text: string): StoredRecord {
  const object = parseVersionedObject(file, text, 'format');
  const revision = object.revision;
  if (typeof revision !== 'number' || !Number.isSafeInteger(revision) || revision < 1) {
    throw corruptFile(file, '"revision" is not a positive integer');
  }
  if (object.deleted === true) return { revision, deleted: true };
  if (!('data' in object)) throw corruptFile(file, 'it has neither "data" nor "deleted": true');
  return { revision, deleted: false, data: object.data };
}

export function serializeIntent(intentJson: string): string {
  return `{"format":${STORE_FORMAT_VERSION},"intent":${intentJson}}\n`;
}

export function parseIntent(file: string, text: string): unknown {
  const object = parseVersionedObject(file, text, 'format');
  if (!('intent' in object)) throw corruptFile(file, 'it has no "intent"');
  return object.intent;
}

export function serializeMarker(): string {
  return `${JSON.stringify({ format: MARKER_FORMAT, version: STORE_FORMAT_VERSION })}\n`;
}

/** Throws unless `text` (the marker of state directory `dir`) is ours at a version we support. */
export function checkMarker(dir: string, file: string, text: string): void {
  const object = parseJsonObject(file, text);
  if (object.format !== MARKER_FORMAT) {
    throw corruptFile(
      file,
      `"format" is not "${MARKER_FORMAT}", so this is not a uvm-layers state marker`,
    );
  }
  const version = object.version;
  if (
    typeof version === 'number' &&
    Number.isSafeInteger(version) &&
    version > STORE_FORMAT_VERSION
  ) {
    throw newerStore(dir, version, STORE_FORMAT_VERSION);
  }
  checkVersion(file, version, 'version');
}

function parseVersionedObject(file: string, text: string, field: string): Record<string, unknown> {
  const object = parseJsonObject(file, text);
  checkVersion(file, object[field], field);
  return object;
}

function checkVersion(file: string, version: unknown, field: string): void {
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1) {
    throw corruptFile(file, `"${field}" is not a positive integer`);
  }
  if (version > STORE_FORMAT_VERSION) throw newerFormat(file, version, STORE_FORMAT_VERSION);
}

function parseJsonObject(file: string, text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw corruptFile(file, text.length === 0 ? 'it is empty' : `invalid JSON: ${detail}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw corruptFile(file, 'it is not a JSON object');
  }
  return value as Record<string, unknown>;
}
