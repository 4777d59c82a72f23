import { describe, expect, it } from 'vitest';
import type { NativeFunction, NativeLibrary } from './ffi.js';
import { loadKoffi } from './koffi-loader.js';
import { prototypeArguments } from './testing/parse-prototype.js';
import {
  bindVmCompute,
  defineVmComputeTypes,
  formatGuid,
  parseGuid,
  STD_DRIVER_INFO,
  VMCOMPUTE_PROTOTYPES,
  VMCOMPUTE_TYPE_NAMES,
} from './vmcompute.js';

describe('vmcompute.dll declarations', () => {
  const k = loadKoffi();
  defineVmComputeTypes(k);

  it('defines the structs with the C layout (x64)', () => {
    expect(k.sizeof(VMCOMPUTE_TYPE_NAMES.guid)).toBe(16);
    expect(k.sizeof(VMCOMPUTE_TYPE_NAMES.driverInfo)).toBe(16);
    // GUID (16) + ULONG (4) + padding (4) + PCWSTR (8)
    expect(k.sizeof(VMCOMPUTE_TYPE_NAMES.layerDescriptor)).toBe(32);
    expect(k.offsetof(VMCOMPUTE_TYPE_NAMES.layerDescriptor, 'Flags')).toBe(16);
    expect(k.offsetof(VMCOMPUTE_TYPE_NAMES.layerDescriptor, 'Path')).toBe(24);
  });

  it('defining the types twice is harmless (koffi names are process-wide)', () => {
    expect(() => defineVmComputeTypes(k)).not.toThrow();
  });

  it('every declaration parses; ids and names are UTF-16; out parameters are marked', () => {
    for (const [name, prototype] of Object.entries(VMCOMPUTE_PROTOTYPES)) {
      const args = prototypeArguments(prototype);
      expect(args.length, name).toBeGreaterThan(1);
      for (const arg of args.filter((a) => a.type === 'char16_t *')) expect(arg.primitive).toBe('String16');
    }
    expect(prototypeArguments(VMCOMPUTE_PROTOTYPES.NameToGuid).map((a) => a.direction)).toEqual(['Input', 'Output']);
    expect(prototypeArguments(VMCOMPUTE_PROTOTYPES.GetLayerMountPath).map((a) => a.direction)).toEqual([
      'Input',
      'Input',
      'Input/Output',
      'Input',
    ]);
    expect(prototypeArguments(VMCOMPUTE_PROTOTYPES.PrepareLayer).map((a) => a.type)).toEqual([
      'uvml_DRIVER_INFO *',
      'char16_t *',
      'uvml_WC_LAYER_DESCRIPTOR *',
      'uint32_t',
    ]);
  });
});

describe('bindVmCompute', () => {
  function recording(): { library: NativeLibrary; calls: { name: string; args: unknown[] }[] } {
    const calls: { name: string; args: unknown[] }[] = [];
    const library: NativeLibrary = {
      func(prototype) {
        const name = /(\w+)\(/.exec(prototype)?.[1] ?? '?';
        const fn = (() => 0) as NativeFunction;
        fn.async = (...args: unknown[]) => {
          const callback = args.pop() as (e: unknown, r: unknown) => void;
          calls.push({ name, args });
          callback(null, 0);
        };
        return fn;
      },
    };
    return { library, calls };
  }

  it('passes driver info, the UTF-16 layer path and NULL descriptors for a base layer', async () => {
    const { library, calls } = recording();
    const api = bindVmCompute(library);
    await api.ActivateLayer(STD_DRIVER_INFO, 'C:\\layers\\scratch');
    await api.PrepareLayer(STD_DRIVER_INFO, 'C:\\layers\\scratch', [], 0);
    expect(calls).toEqual([
      { name: 'ActivateLayer', args: [{ Flavour: 1, HomeDir: '' }, 'C:\\layers\\scratch'] },
      { name: 'PrepareLayer', args: [{ Flavour: 1, HomeDir: '' }, 'C:\\layers\\scratch', null, 0] },
    ]);
  });
});

describe('GUIDs', () => {
  it('formats Data4 in byte order, lower case', () => {
    const guid = { Data1: 0xdcc079ae, Data2: 0x60ba, Data3: 0x4d07, Data4: [0x84, 0x7c, 0x34, 0x93, 0x60, 0x9c, 0x08, 0x70] };
    expect(formatGuid(guid)).toBe('dcc079ae-60ba-4d07-847c-3493609c0870');
    expect(formatGuid(parseGuid('DCC079AE-60BA-4D07-847C-3493609C0870'))).toBe('dcc079ae-60ba-4d07-847c-3493609c0870');
  });

  it('round-trips through the koffi struct', () => {
    const k = loadKoffi();
    defineVmComputeTypes(k);
    const memory = k.alloc(VMCOMPUTE_TYPE_NAMES.guid, 1) as bigint;
    try {
      k.encode(memory, VMCOMPUTE_TYPE_NAMES.guid, parseGuid('6ba7b811-9dad-11d1-80b4-00c04fd430c8'));
      expect(formatGuid(k.decode(memory, VMCOMPUTE_TYPE_NAMES.guid) as never)).toBe('6ba7b811-9dad-11d1-80b4-00c04fd430c8');
    } finally {
      k.free(memory);
    }
  });

  it('rejects malformed input', () => {
    expect(() => parseGuid('not-a-guid')).toThrow(RangeError);
    expect(() => formatGuid({ Data1: 0, Data2: 0, Data3: 0, Data4: [1, 2] })).toThrow(RangeError);
  });
});
