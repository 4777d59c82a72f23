import { describe, expect, it } from 'vitest';
import { bindComputeCore, COMPUTECORE_PROTOTYPES, KERNEL32_PROTOTYPES } from './computecore.js';
import type { NativeFunction, NativeLibrary } from './ffi.js';
import { loadKoffi } from './koffi-loader.js';
import { prototypeArguments } from './testing/parse-prototype.js';

/** A library whose functions record how the binding calls them. */
class RecordingLibrary implements NativeLibrary {
  readonly declared: string[] = [];
  readonly invocations: { name: string; mode: 'sync' | 'async'; args: unknown[] }[] = [];
  result: unknown = 0;
  missing = new Set<string>();

  func(prototype: string): NativeFunction {
    const name = /(\w+)\(/.exec(prototype)?.[1] ?? '?';
    if (this.missing.has(name)) throw new Error(`Cannot find function '${name}' in shared library`);
    this.declared.push(prototype);
    const fn = ((...args: unknown[]) => {
      this.invocations.push({ name, mode: 'sync', args });
      return this.result;
    }) as NativeFunction;
    fn.async = (...args: unknown[]) => {
      const callback = args.pop() as (error: unknown, result: unknown) => void;
      this.invocations.push({ name, mode: 'async', args });
      setImmediate(() => callback(null, this.result));
    };
    return fn;
  }
}

describe('computecore.dll declarations', () => {
  it('every declaration parses, and every PCWSTR is a UTF-16 string', () => {
    for (const prototype of [...Object.values(COMPUTECORE_PROTOTYPES), ...Object.values(KERNEL32_PROTOTYPES)]) {
      const args = prototypeArguments(prototype);
      const names = /\(([^)]*)\)/.exec(prototype)?.[1]?.split(',') ?? [];
      args.forEach((arg, i) => {
        const declared = names[i] ?? '';
        if (declared.includes('char16_t')) expect(arg.primitive, `${prototype} arg ${i}`).toBe('String16');
        if (declared.includes('_Out_')) expect(arg.direction, `${prototype} arg ${i}`).toBe('Output');
      });
    }
  });

  it('declares the documented parameter lists', () => {
    expect(prototypeArguments(COMPUTECORE_PROTOTYPES.HcsCreateComputeSystem)).toEqual([
      { type: 'char16_t *', primitive: 'String16', direction: 'Input' },
      { type: 'char16_t *', primitive: 'String16', direction: 'Input' },
      { type: 'void *', primitive: 'Pointer', direction: 'Input' },
      { type: 'void *', primitive: 'Pointer', direction: 'Input' },
      { type: 'void **', primitive: 'Pointer', direction: 'Output' },
    ]);
    expect(prototypeArguments(COMPUTECORE_PROTOTYPES.HcsWaitForOperationResult).map((a) => [a.type, a.direction])).toEqual([
      ['void *', 'Input'],
      ['uint32_t', 'Input'],
      ['void **', 'Output'],
    ]);
    expect(prototypeArguments(COMPUTECORE_PROTOTYPES.HcsModifyComputeSystem).map((a) => a.type)).toEqual([
      'void *',
      'void *',
      'char16_t *',
      'void *',
    ]);
    expect(prototypeArguments(COMPUTECORE_PROTOTYPES.HcsOpenComputeSystem).map((a) => [a.type, a.direction])).toEqual([
      ['char16_t *', 'Input'],
      ['uint32_t', 'Input'],
      ['void **', 'Output'],
    ]);
  });

  it('reads result strings as UTF-16 (the decoder the binding uses), non-ASCII included', () => {
    const k = loadKoffi();
    const text = '{"ErrorMessage":"C:\\\\Users\\\\José\\\\層 ☃ not found"}';
    const memory = k.alloc('char16_t', text.length + 1) as bigint;
    try {
      k.encode(memory, k.array('char16_t', text.length + 1, 'String'), text);
      expect(k.decode.string16(memory)).toBe(text);
    } finally {
      k.free(memory);
    }
  });
});

describe('bindComputeCore', () => {
  it('declares every function once, at bind time, and LocalFree from kernel32', () => {
    const computecore = new RecordingLibrary();
    const kernel32 = new RecordingLibrary();
    bindComputeCore(computecore, kernel32, () => '');
    expect([...computecore.declared].sort()).toEqual(Object.values(COMPUTECORE_PROTOTYPES).sort());
    expect(kernel32.declared).toEqual([KERNEL32_PROTOTYPES.LocalFree]);
  });

  it('runs HRESULT calls on the worker pool and returns them unsigned', async () => {
    const computecore = new RecordingLibrary();
    const api = bindComputeCore(computecore, new RecordingLibrary(), () => '');
    computecore.result = -2143878898; // koffi hands int32_t back signed
    const out: [bigint | null] = [null];
    const hr = await api.HcsModifyComputeSystem(0x10n, 0x20n, '{"ResourcePath":"x"}', null);
    expect(hr).toBe(0x8037010e);
    await api.HcsWaitForOperationResult(0x20n, 0xffffffff, out);
    expect(computecore.invocations).toEqual([
      { name: 'HcsModifyComputeSystem', mode: 'async', args: [0x10n, 0x20n, '{"ResourcePath":"x"}', null] },
      { name: 'HcsWaitForOperationResult', mode: 'async', args: [0x20n, 0xffffffff, out] },
    ]);
  });

  it('calls the cheap functions synchronously and maps a NULL operation to null', () => {
    const computecore = new RecordingLibrary();
    const kernel32 = new RecordingLibrary();
    const api = bindComputeCore(computecore, kernel32, (p) => `read ${p}`);
    computecore.result = null;
    expect(api.HcsCreateOperation(null, null)).toBeNull();
    api.HcsCloseOperation(0x30n);
    api.HcsCloseComputeSystem(0x40n);
    api.LocalFree(0x50n);
    expect(api.readWideString(0x60n)).toBe('read 96');
    expect(computecore.invocations.map((i) => [i.name, i.mode, i.args])).toEqual([
      ['HcsCreateOperation', 'sync', [null, null]],
      ['HcsCloseOperation', 'sync', [0x30n]],
      ['HcsCloseComputeSystem', 'sync', [0x40n]],
    ]);
    expect(kernel32.invocations).toEqual([{ name: 'LocalFree', mode: 'sync', args: [0x50n] }]);
  });

  it('leaves HcsGrantVmAccess out when this computecore.dll does not export it', () => {
    const computecore = new RecordingLibrary();
    computecore.missing.add('HcsGrantVmAccess');
    const api = bindComputeCore(computecore, new RecordingLibrary(), () => '');
    expect(api.HcsGrantVmAccess).toBeUndefined();
  });

  it('fails at bind time when a required export is missing', () => {
    const computecore = new RecordingLibrary();
    computecore.missing.add('HcsCreateOperation');
    expect(() => bindComputeCore(computecore, new RecordingLibrary(), () => '')).toThrow(/HcsCreateOperation/);
  });

  it('rejects when koffi reports a failed call (not an HRESULT)', async () => {
    const library: NativeLibrary = {
      func: () => {
        const fn = (() => 0) as NativeFunction;
        fn.async = (...args: unknown[]) => (args.pop() as (e: unknown) => void)(new Error('too many async calls'));
        return fn;
      },
    };
    const api = bindComputeCore(library, library, () => '');
    await expect(api.HcsCancelOperation(1n)).rejects.toThrow('too many async calls');
  });
});
