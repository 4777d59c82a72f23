import { describe, expect, it } from 'vitest';
import { formatHresult, HRESULT, hresultName, isFailure, win32Code } from './hresult.js';

describe('HRESULT helpers', () => {
  it('unwraps FACILITY_WIN32 codes and nothing else', () => {
    expect(win32Code(HRESULT.ERROR_SHARING_VIOLATION)).toBe(0x20);
    expect(win32Code(0x80070490 | 0)).toBe(0x490);
    expect(win32Code(HRESULT.HCS_E_SYSTEM_NOT_FOUND)).toBeUndefined();
    expect(win32Code(HRESULT.E_FAIL)).toBeUndefined();
  });

  it('names, formats and classifies', () => {
    expect(hresultName(0xc037010e | 0)).toBe('HCS_E_SYSTEM_NOT_FOUND');
    expect(hresultName(0x80370117)).toBe('HCS_E_OPERATION_PENDING_V2');
    expect(formatHresult(-2147467259)).toBe('0x80004005');
    expect(isFailure(HRESULT.E_FAIL)).toBe(true);
    expect(isFailure(HRESULT.S_OK)).toBe(false);
  });
});
