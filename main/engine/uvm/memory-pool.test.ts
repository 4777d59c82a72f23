import { describe, expect, it } from 'vitest';
import {
  allocate,
  classSize,
  isEmpty,
  MIB,
  newPool,
  pageAlign,
  release,
  sizeClass,
} from './memory-pool.js';

describe('vPMEM buddy allocator', () => {
  it('maps sizes to the seven 1 MiB..4 GiB classes', () => {
    expect(sizeClass(1)).toBe(0);
    expect(sizeClass(MIB)).toBe(0);
    expect(sizeClass(MIB + 1)).toBe(1);
    expect(sizeClass(4 * MIB)).toBe(1);
    expect(sizeClass(4 * MIB + 1)).toBe(2);
    expect(sizeClass(4 * 1024 * MIB)).toBe(6);
    expect(sizeClass(4 * 1024 * MIB + 1)).toBe(7);
    expect(classSize(6)).toBe(4 * 1024 * MIB);
    expect(pageAlign(1)).toBe(4096);
    expect(pageAlign(8192)).toBe(8192);
  });

  it('hands out the lowest free offset of the smallest class, splitting on demand', () => {
    const pool = newPool();
    expect(allocate(pool, 4096).offset).toBe(0);
    expect(allocate(pool, 4096).offset).toBe(MIB);
    expect(allocate(pool, 2 * MIB).offset).toBe(4 * MIB);
    expect(allocate(pool, 4096).offset).toBe(2 * MIB);
  });

  it('merges four free siblings back into their parent on release', () => {
    const pool = newPool();
    const a = allocate(pool, 4096);
    const b = allocate(pool, 3 * MIB);
    release(pool, a.offset, a.cls);
    release(pool, b.offset, b.cls);
    expect(isEmpty(pool)).toBe(true);
    expect(Object.keys(pool.blocks)).toEqual(['6:0']);
  });

  it('refuses what does not fit and releasing what is not allocated', () => {
    const pool = newPool();
    allocate(pool, 4 * 1024 * MIB);
    expect(() => allocate(pool, 4096)).toThrow(/not enough space/);
    expect(() => allocate(newPool(), 5 * 1024 * MIB)).toThrow(/invalid memory class/);
    expect(() => release(newPool(), 0, 0)).toThrow(/no memory allocated/);
  });
});
