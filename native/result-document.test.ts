import { describe, expect, it } from 'vitest';
import { HRESULT } from '../main/hcs/hresult.js';
import { hcsCallError, isCondition } from './hcs-errors.js';
import { describeResultError, parseResultError } from './result-document.js';

describe('parseResultError', () => {
  it('reads the top-level ResultError shape, with the signed Error made unsigned', () => {
    const parsed = parseResultError(
      JSON.stringify({
        Error: -2147024864,
        ErrorMessage: 'The process cannot access the file because it is being used by another process.',
        ErrorEvents: [{ Message: 'open failed', EventId: 7, Source: 'vmwp', Unknown: true }],
      }),
    );
    expect(parsed).toEqual({
      hresult: 0x80070020,
      message: 'The process cannot access the file because it is being used by another process.',
      events: [{ Message: 'open failed', EventId: 7, Source: 'vmwp' }],
      attribution: [],
    });
  });

  it('reads the wrapped computecore shape and keeps attribution records', () => {
    const parsed = parseResultError(
      JSON.stringify({
        ResultError: {
          Error: 0x80370106 | 0,
          Attribution: [{ SystemExit: { Detail: 'Guest crashed', Initiator: 'GuestOS' } }],
          ErrorEvents: [{ Message: 'The virtual machine or container exited unexpectedly.' }],
        },
      }),
    );
    expect(parsed?.hresult).toBe(HRESULT.HCS_E_UNEXPECTED_EXIT_V2);
    expect(parsed?.attribution).toEqual([{ SystemExit: { Detail: 'Guest crashed', Initiator: 'GuestOS' } }]);
    expect(describeResultError(parsed)).toBe('The virtual machine or container exited unexpectedly.');
  });

  it('ignores success documents and empty results', () => {
    expect(parseResultError(undefined)).toBeUndefined();
    expect(parseResultError('')).toBeUndefined();
    expect(parseResultError('[{"Id":"u1"}]')).toBeUndefined();
    expect(parseResultError('{"Id":"u1","State":"Running"}')).toBeUndefined();
    expect(parseResultError('{"Error":0,"ErrorEvents":[]}')).toEqual({ hresult: 0, events: [], attribution: [] });
  });

  it('keeps a non-JSON answer as the message instead of losing it', () => {
    expect(parseResultError('  Access is denied.\n')).toEqual({ message: 'Access is denied.', events: [], attribution: [] });
  });
});

describe('hcsCallError', () => {
  it('names known codes through hresult.ts', () => {
    const error = hcsCallError('HcsStartComputeSystem u1', HRESULT.HCS_E_INVALID_STATE_V2);
    expect(error.message).toBe('HcsStartComputeSystem u1 failed (HCS_E_INVALID_STATE_V2, 0x80370105)');
    expect(error.code).toBe('HCS_ERROR');
  });

  it('unwraps an unnamed Win32 code', () => {
    const error = hcsCallError('ActivateLayer C:\\l\\s', 0x80070070);
    expect(error.message).toBe('ActivateLayer C:\\l\\s failed: Win32 error 112 (0x70) (0x80070070)');
    expect(error.hresult).toBe(0x80070070);
  });

  it('a named Win32 code is named once', () => {
    expect(hcsCallError('ActivateLayer x', HRESULT.ERROR_SHARING_VIOLATION).message).toBe(
      'ActivateLayer x failed (ERROR_SHARING_VIOLATION, 0x80070020)',
    );
  });

  it('says how to fix access denied', () => {
    expect(hcsCallError('HcsCreateComputeSystem u1', HRESULT.HCS_E_ACCESS_DENIED).message).toContain(
      'must run as an administrator or a member of Hyper-V Administrators',
    );
  });

  it('matches vmcompute and computecore forms of the same condition', () => {
    expect(isCondition(HRESULT.HCS_E_SYSTEM_NOT_FOUND, 'notFound')).toBe(true);
    expect(isCondition(HRESULT.HCS_E_SYSTEM_NOT_FOUND_V2, 'notFound')).toBe(true);
    expect(isCondition(0x80370117, 'pending')).toBe(true);
    expect(isCondition(HRESULT.HCS_E_OPERATION_TIMEOUT, 'pending')).toBe(false);
  });
});
