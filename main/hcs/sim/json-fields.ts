/**
 * Typed, strict reading of the JSON objects inside a document. Anything HCS's schema parser
 * would choke on (not an object, an unknown field, a wrong type, an integer out of its Go type's
 * range) is HCS_E_INVALID_JSON; a required value that is absent is E_INVALIDARG. `null` and the
 * empty string read as absent, as Go's decoder and `omitempty` make them.
 */
import { refuse } from './sim-errors.js';

export const UINT8_MAX = 0xff;
export const INT32_MAX = 0x7fffffff;
export const UINT32_MAX = 0xffffffff;

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isArray(value: unknown): value is unknown[] {
  return Array.isArray(value);
}

function isStringArray(value: unknown): value is string[] {
  return isArray(value) && value.every((item) => typeof item === 'string');
}

/**
 * One JSON object of a document, read field by field. `section` is its place in the document
 * (`GuestRequest.Settings`), `typeName` its schema type (`LCOWMappedVirtualDisk`), `context` the
 * request it belongs to (`the request for <path> on utility VM u1`); messages name all three.
 */
export class JsonObject {
  private constructor(
    private readonly fields: Record<string, unknown>,
    readonly section: string,
    readonly context: string,
    private readonly typeName: string | undefined,
  ) {}

  /** Reads `value` as an object allowed to hold only `allowed` fields. */
  static of(
    value: unknown,
    section: string,
    context: string,
    allowed: readonly string[],
    typeName?: string,
  ): JsonObject {
    const label = `${section}${typeName === undefined ? '' : ` (${typeName})`} in ${context}`;
    if (!isPlainObject(value)) throw refuse.invalidJson(`${label} must be a JSON object`);
    for (const key of Object.keys(value)) {
      if (!allowed.includes(key)) {
        throw refuse.invalidJson(
          `${label} has an unknown field "${key}" (allowed: ${allowed.join(', ')})`,
        );
      }
    }
    return new JsonObject(value, section, context, typeName);
  }

  /** A nested object field, read with its own allowed fields; undefined when absent. */
  child(key: string, allowed: readonly string[], typeName?: string): JsonObject | undefined {
    const value = this.raw(key);
    if (value === undefined) return undefined;
    return JsonObject.of(value, `${this.section}.${key}`, this.context, allowed, typeName);
  }

  /** A field's raw value (null reads as absent), for fields parsed by another reader. */
  get(key: string): unknown {
    return this.raw(key);
  }

  has(key: string): boolean {
    return this.raw(key) !== undefined;
  }

  string(key: string): string | undefined {
    const value = this.raw(key);
    if (value === undefined) return undefined;
    if (typeof value !== 'string') throw this.wrongType(key, 'a string');
    return value === '' ? undefined : value;
  }

  requiredString(key: string): string {
    const value = this.string(key);
    if (value === undefined) throw this.missing(key);
    return value;
  }

  bool(key: string): boolean | undefined {
    const value = this.raw(key);
    if (value === undefined) return undefined;
    if (typeof value !== 'boolean') throw this.wrongType(key, 'a boolean');
    return value;
  }

  /** A non-negative integer no larger than `max` (the Go field's unsigned type). */
  uint(key: string, max: number): number | undefined {
    const value = this.raw(key);
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > max) {
      throw this.wrongType(key, `an integer from 0 to ${max}`);
    }
    return value;
  }

  stringArray(key: string): string[] | undefined {
    const value = this.raw(key);
    if (value === undefined) return undefined;
    if (!isStringArray(value)) throw this.wrongType(key, 'an array of strings');
    return value;
  }

  array(key: string): unknown[] | undefined {
    const value = this.raw(key);
    if (value === undefined) return undefined;
    if (!isArray(value)) throw this.wrongType(key, 'an array');
    return value;
  }

  /** `Settings.Path in the request for ... on utility VM u1`, for messages. */
  path(key: string): string {
    const type = this.typeName === undefined ? '' : ` (${this.typeName})`;
    return `${this.section}.${key}${type} in ${this.context}`;
  }

  missing(key: string): Error {
    return refuse.invalidArg(`${this.path(key)} is required`);
  }

  private raw(key: string): unknown {
    const value = this.fields[key];
    return value === null ? undefined : value;
  }

  private wrongType(key: string, expected: string): Error {
    return refuse.invalidJson(
      `${this.path(key)} must be ${expected}, got ${JSON.stringify(this.fields[key])}`,
    );
  }
}
