/**
 * A small runtime schema library for the IPC boundary: every payload that crosses from a page
 * into a privileged process is parsed by one of these before anything acts on it. Parsing is
 * strict (unknown object keys are refused) and returns a fresh value, so a caller never holds
 * on to an object the page could still mutate or that carries a hostile prototype.
 */

/** Why a payload was refused: the path of the bad value and what was expected there. */
export class SchemaError extends Error {
  readonly path: string;

  constructor(path: string, expected: string) {
    super(`${path || 'value'}: expected ${expected}`);
    this.name = 'SchemaError';
    this.path = path;
  }
}

export interface Schema<T> {
  /** Returns the validated (and copied) value, or throws a `SchemaError`. */
  parse(value: unknown, path?: string): T;
  /** Short human description, used in error messages. */
  readonly description: string;
  /** Present on schemas made by `optional`: the key may be absent from an object. */
  readonly optional?: true;
}

export type Infer<S> = S extends Schema<infer T> ? T : never;

function make<T>(description: string, parse: (value: unknown, path: string) => T): Schema<T> {
  return { description, parse: (value, path = '') => parse(value, path) };
}

export interface StringOptions {
  min?: number;
  max?: number;
  pattern?: RegExp;
}

/** A string; NUL characters are always refused (no path or id legitimately holds one). */
export function string(options: StringOptions = {}): Schema<string> {
  const { min = 0, max = 4096, pattern } = options;
  const description = `a string of ${min}..${max} characters${pattern ? ` matching ${String(pattern)}` : ''}`;
  return make(description, (value, path) => {
    if (
      typeof value !== 'string' ||
      value.length < min ||
      value.length > max ||
      value.includes('\0')
    ) {
      throw new SchemaError(path, description);
    }
    if (pattern && !pattern.test(value)) throw new SchemaError(path, description);
    return value;
  });
}

export function int(options: { min?: number; max?: number } = {}): Schema<number> {
  const { min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER } = options;
  const description = `an integer in ${min}..${max}`;
  return make(description, (value, path) => {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
      throw new SchemaError(path, description);
    }
    return value;
  });
}

export function boolean(): Schema<boolean> {
  return make('a boolean', (value, path) => {
    if (typeof value !== 'boolean') throw new SchemaError(path, 'a boolean');
    return value;
  });
}

export function literal<const L extends string | number | boolean | null>(expected: L): Schema<L> {
  const description = JSON.stringify(expected);
  return make(description, (value, path) => {
    if (value !== expected) throw new SchemaError(path, description);
    return expected;
  });
}

export function oneOf<const L extends readonly string[]>(values: L): Schema<L[number]> {
  const description = `one of ${values.map((v) => JSON.stringify(v)).join(', ')}`;
  return make(description, (value, path) => {
    if (typeof value !== 'string' || !values.includes(value))
      throw new SchemaError(path, description);
    return value;
  });
}

export function array<T>(
  item: Schema<T>,
  options: { min?: number; max?: number } = {},
): Schema<T[]> {
  const { min = 0, max = 1024 } = options;
  const description = `an array of ${min}..${max} items (${item.description})`;
  return make(description, (value, path) => {
    if (!Array.isArray(value) || value.length < min || value.length > max) {
      throw new SchemaError(path, description);
    }
    return value.map((v, i) => item.parse(v, `${path}[${i}]`));
  });
}

/** Marks an object property as optional: absent or `undefined`. */
export function optional<T>(inner: Schema<T>): Schema<T | undefined> & { readonly optional: true } {
  return {
    description: `${inner.description} (optional)`,
    optional: true,
    parse: (value, path = '') => (value === undefined ? undefined : inner.parse(value, path)),
  };
}

export function nullable<T>(inner: Schema<T>): Schema<T | null> {
  return make(`${inner.description} or null`, (value, path) =>
    value === null ? null : inner.parse(value, path),
  );
}

type Shape = Record<string, Schema<unknown>>;
type OptionalKeys<S extends Shape> = {
  [K in keyof S]: S[K] extends { readonly optional: true } ? K : never;
}[keyof S];
type RequiredKeys<S extends Shape> = Exclude<keyof S, OptionalKeys<S>>;
type Simplify<T> = { [K in keyof T]: T[K] } & {};
export type ObjectOf<S extends Shape> = Simplify<
  { [K in RequiredKeys<S>]: Infer<S[K]> } & {
    [K in OptionalKeys<S>]?: Exclude<Infer<S[K]>, undefined>;
  }
>;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * A plain object with exactly the given keys (optional ones may be missing). The result has a
 * null-free normal prototype and only the declared keys; absent optionals stay absent.
 */
export function object<S extends Shape>(shape: S): Schema<ObjectOf<S>> {
  const keys = Object.keys(shape);
  const description = `an object with keys {${keys.map((k) => (shape[k]?.optional ? `${k}?` : k)).join(', ')}}`;
  return make(description, (value, path) => {
    if (!isPlainObject(value)) throw new SchemaError(path, description);
    for (const key of Object.keys(value)) {
      if (!Object.hasOwn(shape, key))
        throw new SchemaError(path ? `${path}.${key}` : key, 'no such key');
    }
    const out: Record<string, unknown> = {};
    for (const key of keys) {
      const schema = shape[key] as Schema<unknown>;
      const child = Object.hasOwn(value, key) ? value[key] : undefined;
      const parsed = schema.parse(child, path ? `${path}.${key}` : key);
      if (parsed !== undefined) out[key] = parsed;
    }
    return out as ObjectOf<S>;
  });
}

/** Any value; for payload parts that a more specific schema parses later. */
export function unknown(): Schema<unknown> {
  return make('any value', (value) => value);
}
