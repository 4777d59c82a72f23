/**
 * Where things live in a state directory, and which names are allowed to live there.
 *
 *   store.json                 marker: {"format":"uvm-layers-state","version":1}
 *   <kind>.json                a top-level record, e.g. host.json
 *   <kind>/<id>.json           a record per id, e.g. uvm/u1.json
 *   intents/<name>.json        an operation in flight (written before HCS calls, cleared after)
 *   locks/<name>.lock          advisory lock files (never deleted)
 *   log.jsonl                  the request log
 */
import path from 'node:path';
import { invalidArgument } from './store-errors.js';

/** A record key or lock/intent name: `kind` or `kind/id`. Ids allow what UVM ids and image refs use. */
const KEY_PATTERN = /^[a-z][a-z-]*(\/[A-Za-z0-9][A-Za-z0-9._@-]{0,127})?$/;

/** First segments the store itself uses; a key there would collide with the store's own files. */
const RESERVED_KINDS = new Set(['store', 'log', 'locks', 'intents']);

/** Windows refuses these as file names even with an extension (CON.json); refuse them everywhere
 * so a state directory made on Linux stays usable on Windows. */
const WINDOWS_DEVICE_NAME = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$/i;

export const MARKER_FILE = 'store.json';
export const LOG_FILE = 'log.jsonl';
export const LOCKS_DIR = 'locks';
export const INTENTS_DIR = 'intents';
/** Internal lock names start with '_' so they can never equal a caller's name (which starts with a-z). */
export const WRITE_LOCK_NAME = '_write';
export const LOG_LOCK_NAME = '_log';

const RECORD_SUFFIX = '.json';
const TEMP_SUFFIX = '.tmp';

function validateName(what: string, name: string, reserveStoreKinds: boolean): void {
  if (typeof name !== 'string' || !KEY_PATTERN.test(name)) {
    throw invalidArgument(
      `Invalid ${what} ${JSON.stringify(name)}: expected "kind" or "kind/id" where kind is ` +
        'lowercase letters and dashes and id is 1-128 of A-Z a-z 0-9 . _ @ - (starting with a ' +
        'letter or digit), e.g. "uvm/u1" or "host".',
    );
  }
  const [kind, id] = name.split('/');
  if (reserveStoreKinds && kind !== undefined && RESERVED_KINDS.has(kind)) {
    throw invalidArgument(
      `Invalid ${what} ${JSON.stringify(name)}: "${kind}" is reserved for the store's own files.`,
    );
  }
  for (const part of [kind, id]) {
    if (part !== undefined && WINDOWS_DEVICE_NAME.test(part)) {
      throw invalidArgument(
        `Invalid ${what} ${JSON.stringify(name)}: "${part}" is a reserved device name on Windows.`,
      );
    }
  }
}

export function validateKey(key: string): void {
  validateName('state key', key, true);
}

/** Lock and intent names are a namespace of their own, so 'log' or 'store' are fine there. */
export function validateLockName(name: string): void {
  validateName('lock name', name, false);
}

export function validateIntentName(name: string): void {
  validateName('intent name', name, false);
}

export function recordFile(dir: string, key: string): string {
  return path.join(dir, ...key.split('/')) + RECORD_SUFFIX;
}

export function intentFile(dir: string, name: string): string {
  return path.join(dir, INTENTS_DIR, ...name.split('/')) + RECORD_SUFFIX;
}

/** Lock files stay flat ('uvm/u1' -> uvm__u1.lock): '_' is not allowed in names, so this is 1:1. */
export function lockFile(dir: string, name: string): string {
  return path.join(dir, LOCKS_DIR, `${name.replaceAll('/', '__')}.lock`);
}

/** Temp files start with '.' so they can never be mistaken for a record (names start with a-z/0-9). */
export function tempFileName(target: string): string {
  const random = Math.random().toString(36).slice(2, 10);
  return `.${path.basename(target)}.${process.pid}.${random}${TEMP_SUFFIX}`;
}

/** The record name for a directory entry ('u1.json' -> 'u1'), or undefined for anything else. */
export function recordName(entry: string): string | undefined {
  if (entry.startsWith('.') || !entry.endsWith(RECORD_SUFFIX)) return undefined;
  return entry.slice(0, -RECORD_SUFFIX.length);
}

/** True for a directory name that can hold `kind/id` records. */
export function isKindDir(entry: string): boolean {
  return /^[a-z][a-z-]*$/.test(entry) && !RESERVED_KINDS.has(entry);
}

/** True for a key a caller could have written (used to skip stray files when listing). */
export function isValidKey(key: string): boolean {
  try {
    validateKey(key);
    return true;
  } catch {
    return false;
  }
}
