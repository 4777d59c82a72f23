import { describe, expect, it } from 'vitest';
import { isUuid, URL_NAMESPACE, uuidV5 } from './uuid-v5.js';

// Expected values computed with CPython's uuid.uuid5.
describe('uuidV5', () => {
  it('matches Python for the URL namespace', () => {
    expect(uuidV5('python.org', URL_NAMESPACE)).toBe('7af94e2b-4dd9-50f0-9c9a-8a48519bdef0');
  });

  it('matches the RFC/Python DNS example', () => {
    expect(uuidV5('python.org', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe(
      '886313e1-3b8a-5372-9b90-0c9aee199e5d',
    );
  });

  it('reproduces the hcsshim SCSI controller GUIDs (HCS-SPEC §4.1)', () => {
    const ns = 'd422512d-2bf2-4752-809d-7b82b5fcb1b4';
    expect(['0', '1', '2', '3'].map((n) => uuidV5(n, ns))).toEqual([
      'df6d0690-79e5-55b6-a5ec-c1e2f77f580a',
      '0110f83b-de10-5172-a266-78bca56bf50a',
      'b5d2d8d4-3a75-51bf-945b-3444dc6b8579',
      '305891a9-b251-5dfe-91a2-c25d9212275b',
    ]);
  });

  it('hashes names as UTF-8 and accepts an upper-case namespace', () => {
    expect(uuidV5('héllo', URL_NAMESPACE.toUpperCase())).toBe(
      '102d6fae-a0b0-5a7a-b980-5e8cfb1690db',
    );
  });

  it('refuses a malformed namespace', () => {
    expect(() => uuidV5('x', 'not-a-uuid')).toThrow(TypeError);
  });

  it('recognises canonical UUIDs only', () => {
    expect(isUuid('7AF94E2B-4dd9-50f0-9c9a-8a48519bdef0')).toBe(true);
    expect(isUuid('{7af94e2b-4dd9-50f0-9c9a-8a48519bdef0}')).toBe(false);
  });
});
