import { describe, expect, it } from 'vitest';
import * as s from './schema.js';

describe('schema', () => {
  const request = s.object({
    id: s.string({ min: 1, max: 8 }),
    count: s.optional(s.int({ min: 0, max: 4 })),
    ops: s.optional(s.array(s.oneOf(['a', 'b'] as const), { max: 2 })),
  });

  it('accepts a valid object and returns a copy without absent optionals', () => {
    const input = { id: 'u1', count: 2 };
    const parsed = request.parse(input);
    expect(parsed).toEqual({ id: 'u1', count: 2 });
    expect(parsed).not.toBe(input);
    expect(Object.keys(request.parse({ id: 'u1' }))).toEqual(['id']);
  });

  it('refuses unknown keys, naming them', () => {
    expect(() => request.parse({ id: 'u1', extra: true })).toThrow(/extra: expected no such key/);
  });

  it('refuses a prototype-polluting key and non-plain objects', () => {
    expect(() => request.parse(JSON.parse('{"id":"u1","__proto__":{"x":1}}'))).toThrow(
      s.SchemaError,
    );
    expect(() =>
      request.parse(
        new (class Fake {
          id = 'u1';
        })(),
      ),
    ).toThrow(s.SchemaError);
    expect(() => request.parse([])).toThrow(s.SchemaError);
    expect(() => request.parse(null)).toThrow(s.SchemaError);
  });

  it('reports the path of a bad nested value', () => {
    expect(() => request.parse({ id: 'u1', ops: ['a', 'c'] }, 'args')).toThrow(
      /^args\.ops\[1\]: expected one of "a", "b"/,
    );
  });

  it('checks string length and refuses NUL characters', () => {
    expect(() => request.parse({ id: '' })).toThrow(/id: expected a string/);
    expect(() => request.parse({ id: 'x'.repeat(9) })).toThrow(s.SchemaError);
    expect(() => request.parse({ id: 'a\0b' })).toThrow(s.SchemaError);
  });

  it('accepts only safe integers in range', () => {
    expect(() => request.parse({ id: 'u', count: 1.5 })).toThrow(s.SchemaError);
    expect(() => request.parse({ id: 'u', count: 5 })).toThrow(s.SchemaError);
    expect(() => request.parse({ id: 'u', count: '1' })).toThrow(s.SchemaError);
    expect(() => s.int().parse(2 ** 60)).toThrow(s.SchemaError);
  });

  it('bounds array length', () => {
    expect(() => request.parse({ id: 'u', ops: ['a', 'a', 'b'] })).toThrow(
      /an array of 0..2 items/,
    );
  });

  it('nullable, literal and boolean', () => {
    expect(s.nullable(s.boolean()).parse(null)).toBeNull();
    expect(s.literal(3).parse(3)).toBe(3);
    expect(() => s.literal(3).parse(4)).toThrow(s.SchemaError);
    expect(() => s.boolean().parse('true')).toThrow(s.SchemaError);
  });
});
