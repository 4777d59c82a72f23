import { describe, expect, it } from 'vitest';
import { HcsError } from '../main/hcs/backend.js';
import { UvmLayersError } from '../main/engine/errors.js';
import { HRESULT } from '../main/hcs/hresult.js';
import { withComputeSystem } from './compute-system.js';
import { GENERIC_ALL } from './computecore.js';
import { runOperation, startOperation, takeResultString, type OperationTimeout } from './operation.js';
import { FakeComputeCore, OUT } from './testing/fake-computecore.js';

/** The properties call is a convenient operation-taking function on an existing system. */
async function properties(fake: FakeComputeCore, options: Parameters<typeof runOperation>[3] = {}): Promise<string | undefined> {
  return withComputeSystem(fake, 'u1', (system) =>
    runOperation(fake, 'HcsGetComputeSystemProperties u1', (op) => fake.HcsGetComputeSystemProperties(system, op, null), options),
  );
}

const ERROR_DOCUMENT = JSON.stringify({
  Error: -2143878898, // 0x8037010e as the signed int32 HCS writes
  ErrorMessage: 'A virtual machine or container with the specified identifier does not exist.',
  ErrorEvents: [
    { Message: 'The system cannot find the file specified.', Provider: '{17103E3F-3C6E-4677-BB17-3B267EB5BE57}', EventId: 12030, Flags: 0, Source: 'vmcompute' },
    { Message: 'Layer missing', StackTrace: 'at X', Provider: 'p', EventId: 1, Flags: 2, Source: 's', Data: [{ Type: 'String', Value: 'x' }] },
  ],
});

describe('runOperation (HCS-SPEC §12.2)', () => {
  it('creates, calls, waits with the timeout, frees the result and closes', async () => {
    const fake = new FakeComputeCore();
    fake.addSystem({ id: 'u1', owner: 'uvm-layers' });
    const document = await properties(fake, { timeoutMs: 800 });
    expect(JSON.parse(document ?? '')).toMatchObject({ Id: 'u1', State: 'Running' });
    expect(fake.sequence()).toEqual([
      'HcsOpenComputeSystem',
      'HcsCreateOperation',
      'HcsGetComputeSystemProperties',
      'HcsWaitForOperationResult',
      'readWideString',
      'LocalFree',
      'HcsCloseOperation',
      'HcsCloseComputeSystem',
    ]);
    const [open] = fake.callsOf('HcsOpenComputeSystem');
    expect(open).toEqual(['u1', GENERIC_ALL, OUT]);
    const [wait] = fake.callsOf('HcsWaitForOperationResult');
    expect(wait?.[1]).toBe(800);
    expect(fake.freed).toHaveLength(1);
    fake.assertClean();
  });

  it('waits in 1 s slices up to hcsshim’s 4-minute default before it cancels', async () => {
    const fake = new FakeComputeCore();
    fake.addSystem({ id: 'u1' });
    fake.script('HcsGetComputeSystemProperties', {
      waits: Array.from({ length: 240 }, () => ({ hr: HRESULT.HCS_E_OPERATION_TIMEOUT })),
    });
    const reports: OperationTimeout[] = [];
    await properties(fake, { onTimeout: (t) => reports.push(t) });
    const waits = fake.callsOf('HcsWaitForOperationResult').map((a) => a[1]);
    expect(waits).toHaveLength(241);
    expect(new Set(waits)).toEqual(new Set([1000]));
    expect(fake.sequence().indexOf('HcsCancelOperation')).toBe(fake.sequence().lastIndexOf('HcsWaitForOperationResult') - 1);
    expect(reports).toEqual([{ what: 'HcsGetComputeSystemProperties u1', timeoutMs: 240_000, elapsedMs: 240_000, timeouts: 1, cancelHresult: 0 }]);
    fake.assertClean();
  });

  it('never cancels with an INFINITE timeout, and slices still end at the deadline', async () => {
    const fake = new FakeComputeCore();
    fake.addSystem({ id: 'u1' });
    fake.script('HcsGetComputeSystemProperties', { waits: [{ hr: HRESULT.HCS_E_OPERATION_TIMEOUT }, { hr: HRESULT.HCS_E_OPERATION_TIMEOUT }] });
    const reports: OperationTimeout[] = [];
    await properties(fake, { timeoutMs: 2 ** 40, onTimeout: (t) => reports.push(t) });
    expect(reports).toEqual([]);
    expect(fake.sequence()).not.toContain('HcsCancelOperation');
    fake.script('HcsGetComputeSystemProperties', { waits: [{ hr: HRESULT.HCS_E_OPERATION_TIMEOUT }] });
    await properties(fake, { timeoutMs: 2500, waitSliceMs: 2000, onTimeout: () => {} });
    expect(fake.callsOf('HcsWaitForOperationResult').map((a) => a[1]).slice(-2)).toEqual([2000, 500]);
    fake.assertClean();
  });

  it('turns an error document into an HcsError that names the HRESULT and keeps every event', async () => {
    const fake = new FakeComputeCore();
    fake.addSystem({ id: 'u1' });
    fake.script('HcsGetComputeSystemProperties', {
      outcome: { hr: HRESULT.HCS_E_SYSTEM_NOT_FOUND_V2, document: ERROR_DOCUMENT },
    });
    const error = await properties(fake).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HcsError);
    const hcs = error as HcsError;
    expect(hcs.code).toBe('HCS_ERROR');
    expect(hcs.hresult).toBe(0x8037010e);
    expect(hcs.message).toBe(
      'HcsGetComputeSystemProperties u1 failed: A virtual machine or container with the specified identifier does not exist. ' +
        '(HCS_E_SYSTEM_NOT_FOUND_V2, 0x8037010e)',
    );
    expect(hcs.events).toEqual([
      { Message: 'The system cannot find the file specified.', Provider: '{17103E3F-3C6E-4677-BB17-3B267EB5BE57}', EventId: 12030, Flags: 0, Source: 'vmcompute' },
      { Message: 'Layer missing', StackTrace: 'at X', Provider: 'p', EventId: 1, Flags: 2, Source: 's' },
    ]);
    expect(hcs.toJSON().hresult).toBe('0x8037010e');
    fake.assertClean();
  });

  it('treats a call that answers HCS_E_OPERATION_PENDING as started and waits for it', async () => {
    const fake = new FakeComputeCore();
    fake.addSystem({ id: 'u1' });
    fake.script('HcsGetComputeSystemProperties', { call: HRESULT.HCS_E_OPERATION_PENDING_V2 });
    const document = await properties(fake);
    expect(JSON.parse(document ?? '')).toMatchObject({ Id: 'u1' });
    expect(fake.sequence()).toContain('HcsWaitForOperationResult');
    expect(fake.sequence()).not.toContain('HcsGetOperationResult');
    fake.assertClean();
  });

  it('when the call is refused, asks the operation for context and reports the call’s HRESULT', async () => {
    const fake = new FakeComputeCore();
    fake.addSystem({ id: 'u1' });
    fake.script('HcsGetComputeSystemProperties', {
      call: HRESULT.HCS_E_INVALID_JSON_V2,
      result: { hr: HRESULT.HCS_E_INVALID_JSON_V2, document: JSON.stringify({ Error: -2143878899, ErrorMessage: 'The JSON document is invalid.' }) },
    });
    const error = (await properties(fake).catch((e: unknown) => e)) as HcsError;
    expect(error.hresult).toBe(HRESULT.HCS_E_INVALID_JSON_V2);
    expect(error.message).toContain('The JSON document is invalid.');
    expect(fake.sequence()).toEqual([
      'HcsOpenComputeSystem',
      'HcsCreateOperation',
      'HcsGetComputeSystemProperties',
      'HcsGetOperationResult',
      'readWideString',
      'LocalFree',
      'HcsCloseOperation',
      'HcsCloseComputeSystem',
    ]);
    fake.assertClean();
  });

  it('a refused call with no context document still fails with the call’s own HRESULT', async () => {
    const fake = new FakeComputeCore();
    fake.addSystem({ id: 'u1' });
    fake.script('HcsGetComputeSystemProperties', { call: HRESULT.E_INVALIDARG });
    const error = (await properties(fake).catch((e: unknown) => e)) as HcsError;
    expect(error.hresult).toBe(HRESULT.E_INVALIDARG);
    expect(error.message).toBe('HcsGetComputeSystemProperties u1 failed (E_INVALIDARG, 0x80070057)');
    fake.assertClean();
  });

  it('on HCS_E_OPERATION_TIMEOUT: cancels, reports, waits again, then closes — in that order', async () => {
    const fake = new FakeComputeCore();
    fake.addSystem({ id: 'u1' });
    fake.script('HcsGetComputeSystemProperties', {
      waits: [{ hr: HRESULT.HCS_E_OPERATION_TIMEOUT }, { hr: HRESULT.HCS_E_OPERATION_TIMEOUT }],
      outcome: { hr: HRESULT.ERROR_CANCELLED, document: JSON.stringify({ Error: -2147023673, ErrorMessage: 'The operation was canceled by the user.' }) },
    });
    const reports: OperationTimeout[] = [];
    const error = await properties(fake, { timeoutMs: 10, onTimeout: (t) => reports.push(t) }).catch((e: unknown) => e);
    expect(fake.sequence()).toEqual([
      'HcsOpenComputeSystem',
      'HcsCreateOperation',
      'HcsGetComputeSystemProperties',
      'HcsWaitForOperationResult',
      'HcsCancelOperation',
      'HcsWaitForOperationResult',
      'HcsWaitForOperationResult',
      'readWideString',
      'LocalFree',
      'HcsCloseOperation',
      'HcsCloseComputeSystem',
    ]);
    expect(reports.map((r) => [r.what, r.timeoutMs, r.timeouts, r.cancelHresult])).toEqual([
      ['HcsGetComputeSystemProperties u1', 10, 1, HRESULT.S_OK],
      ['HcsGetComputeSystemProperties u1', 10, 2, undefined],
    ]);
    expect(error).toBeInstanceOf(UvmLayersError);
    const timeout = error as UvmLayersError;
    expect(timeout.code).toBe('TIMEOUT');
    expect(timeout.hresult).toBe(HRESULT.ERROR_CANCELLED);
    expect(timeout.message).toMatch(/^HcsGetComputeSystemProperties u1 did not finish within 10 ms and was cancelled: .*canceled by the user/);
    expect(timeout.causes[0]).toBeInstanceOf(HcsError);
    fake.assertClean();
  });

  it('a timed-out operation that still succeeds after the cancel reports success (HCS did the work)', async () => {
    const fake = new FakeComputeCore();
    fake.addSystem({ id: 'u1' });
    fake.script('HcsGetComputeSystemProperties', { waits: [{ hr: HRESULT.HCS_E_OPERATION_TIMEOUT }] });
    const reports: OperationTimeout[] = [];
    const document = await properties(fake, { timeoutMs: 1000, onTimeout: (t) => reports.push(t) });
    expect(JSON.parse(document ?? '')).toMatchObject({ Id: 'u1' });
    expect(reports).toHaveLength(1);
    expect(fake.sequence()).toContain('HcsCancelOperation');
    fake.assertClean();
  });

  it('a reporter that throws does not end the wait', async () => {
    const fake = new FakeComputeCore();
    fake.addSystem({ id: 'u1' });
    fake.script('HcsGetComputeSystemProperties', { waits: [{ hr: HRESULT.HCS_E_OPERATION_TIMEOUT }] });
    const warn = console.warn;
    const warned: unknown[] = [];
    console.warn = (...args: unknown[]) => void warned.push(args);
    try {
      const document = await properties(fake, {
        timeoutMs: 5,
        onTimeout: () => {
          throw new Error('reporter broke');
        },
      });
      expect(JSON.parse(document ?? '')).toMatchObject({ Id: 'u1' });
    } finally {
      console.warn = warn;
    }
    expect(String(warned[0])).toContain('HcsGetComputeSystemProperties u1 has not finished after 5 ms; cancel requested (S_OK (0x00000000)); still waiting');
    fake.assertClean();
  });

  it('never closes the operation or the handle while a wait is still in flight', async () => {
    const fake = new FakeComputeCore();
    fake.addSystem({ id: 'u1' });
    let release = (): void => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    fake.script('HcsGetComputeSystemProperties', {
      waits: [{ hr: HRESULT.HCS_E_OPERATION_TIMEOUT }, { hr: HRESULT.S_OK, document: '{"Id":"u1"}', gate }],
    });
    let settled = false;
    const running = properties(fake, { onTimeout: () => {} }).finally(() => (settled = true));
    for (let i = 0; i < 20; i++) await Promise.resolve();
    expect(settled).toBe(false);
    expect(fake.sequence()).not.toContain('HcsCloseOperation');
    expect(fake.sequence()).not.toContain('HcsCloseComputeSystem');
    release();
    expect(await running).toBe('{"Id":"u1"}');
    fake.assertClean();
  });

  it('closes the operation and the compute-system handle when the call itself throws', async () => {
    const fake = new FakeComputeCore();
    fake.addSystem({ id: 'u1' });
    fake.script('HcsGetComputeSystemProperties', { throws: new TypeError('koffi: bad argument') });
    await expect(properties(fake)).rejects.toThrow('koffi: bad argument');
    expect(fake.sequence().slice(-2)).toEqual(['HcsCloseOperation', 'HcsCloseComputeSystem']);
    fake.assertClean();
  });

  it('closes everything when the wait itself throws', async () => {
    const fake = new FakeComputeCore();
    fake.addSystem({ id: 'u1' });
    fake.script('HcsWaitForOperationResult', { throws: new Error('worker pool full') });
    await expect(properties(fake)).rejects.toThrow('worker pool full');
    fake.assertClean();
  });

  it('frees the result string even when reading it throws', () => {
    const fake = new FakeComputeCore();
    const pointer = 0xdeadn;
    const broken = Object.assign(Object.create(fake) as FakeComputeCore, {
      readWideString: (): string => {
        throw new Error('bad UTF-16');
      },
      LocalFree: (p: bigint): void => void fake.calls.push({ fn: 'LocalFree', args: [p] }),
    });
    expect(() => takeResultString(broken, pointer)).toThrow('bad UTF-16');
    expect(fake.callsOf('LocalFree')).toEqual([[pointer]]);
    expect(takeResultString(fake, null)).toBeUndefined();
    expect(takeResultString(fake, 0n)).toBeUndefined();
  });

  it('fails cleanly when HCS cannot allocate an operation', async () => {
    const fake = new FakeComputeCore();
    const noOperations = Object.assign(Object.create(fake) as FakeComputeCore, { HcsCreateOperation: () => null });
    const error = (await runOperation(noOperations, 'HcsEnumerateComputeSystems', () => Promise.resolve(0)).catch(
      (e: unknown) => e,
    )) as HcsError;
    expect(error.hresult).toBe(HRESULT.E_OUTOFMEMORY);
    expect(error.message).toContain('HcsCreateOperation for HcsEnumerateComputeSystems failed');
  });
});

describe('startOperation (fire-and-forget)', () => {
  it('makes the call and closes the operation without waiting', async () => {
    const fake = new FakeComputeCore();
    fake.addSystem({ id: 'u1' });
    await withComputeSystem(fake, 'u1', (system) =>
      startOperation(fake, 'HcsShutDownComputeSystem u1', (op) => fake.HcsShutDownComputeSystem(system, op, null)),
    );
    expect(fake.sequence()).toEqual([
      'HcsOpenComputeSystem',
      'HcsCreateOperation',
      'HcsShutDownComputeSystem',
      'HcsCloseOperation',
      'HcsCloseComputeSystem',
    ]);
    fake.assertClean();
  });

  it('still reports a refused call', async () => {
    const fake = new FakeComputeCore();
    fake.addSystem({ id: 'u1' });
    fake.script('HcsTerminateComputeSystem', { call: HRESULT.HCS_E_INVALID_STATE_V2 });
    const error = (await withComputeSystem(fake, 'u1', (system) =>
      startOperation(fake, 'HcsTerminateComputeSystem u1', (op) => fake.HcsTerminateComputeSystem(system, op, null)),
    ).catch((e: unknown) => e)) as HcsError;
    expect(error.hresult).toBe(HRESULT.HCS_E_INVALID_STATE_V2);
    fake.assertClean();
  });
});

describe('withComputeSystem', () => {
  it('reports a missing system with HCS’s code and opens nothing', async () => {
    const fake = new FakeComputeCore();
    const error = (await withComputeSystem(fake, 'nope', () => Promise.resolve()).catch((e: unknown) => e)) as HcsError;
    expect(error.hresult).toBe(HRESULT.HCS_E_SYSTEM_NOT_FOUND_V2);
    expect(error.message).toBe('HcsOpenComputeSystem nope failed (HCS_E_SYSTEM_NOT_FOUND_V2, 0x8037010e)');
    fake.assertClean();
  });

  it('closes the handle when the work throws', async () => {
    const fake = new FakeComputeCore();
    fake.addSystem({ id: 'u1' });
    await expect(withComputeSystem(fake, 'u1', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(fake.sequence()).toEqual(['HcsOpenComputeSystem', 'HcsCloseComputeSystem']);
    fake.assertClean();
  });
});
