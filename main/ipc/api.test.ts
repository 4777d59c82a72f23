import { describe, expect, expectTypeOf, it } from 'vitest';
import type {
  CreateUvmRequest,
  MountRequest,
  RemoveUvmRequest,
  UnmountRequest,
} from '../engine/service-api.js';
import { API, EVENTS, METHOD_NAMES, methodByChannel, methodByName, type ArgsOf } from './api.js';

describe('the API table', () => {
  it('gives every method a distinct <domain>:<verb> channel, distinct from the event channels', () => {
    const channels = METHOD_NAMES.map((m) => API[m].channel);
    expect(new Set([...channels, ...Object.values(EVENTS)]).size).toBe(
      channels.length + Object.values(EVENTS).length,
    );
    for (const channel of channels) expect(channel).toMatch(/^[a-z]+:[a-z-]+$/);
  });

  it('maps channels and names back to methods, ignoring inherited keys', () => {
    expect(methodByChannel('layers:mount')).toBe('mount');
    expect(methodByName('showUvm')).toBe('showUvm');
    expect(methodByName('__proto__')).toBeUndefined();
    expect(methodByName('toString')).toBeUndefined();
    expect(methodByChannel('nope:nope')).toBeUndefined();
  });

  it('marks exactly the long operations as reporting progress', () => {
    expect(METHOD_NAMES.filter((m) => API[m].progress).sort()).toEqual([
      'createUvm',
      'mount',
      'removeUvm',
      'unmount',
    ]);
  });

  it('argument types match the service requests', () => {
    expectTypeOf<ArgsOf<'createUvm'>>().toExtend<CreateUvmRequest>();
    expectTypeOf<CreateUvmRequest>().toExtend<ArgsOf<'createUvm'>>();
    expectTypeOf<ArgsOf<'mount'>>().toExtend<MountRequest>();
    expectTypeOf<ArgsOf<'unmount'>>().toExtend<UnmountRequest>();
    expectTypeOf<ArgsOf<'removeUvm'>>().toExtend<RemoveUvmRequest>();
  });

  it('validates a mount request', () => {
    const args = { uvm: 'u1', guestRoot: '/run/gcs/c/1', layers: ['/l/1'], scratch: '/s' };
    expect(API.mount.args.parse(args)).toEqual(args);
    expect(() => API.mount.args.parse({ ...args, layers: '/l/1' })).toThrow(/layers/);
    expect(() => API.unmount.args.parse({ guestRoot: '/x', ops: ['all'] })).toThrow(/ops\[0\]/);
  });
});
