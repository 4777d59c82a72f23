import { describe, expect, expectTypeOf, it } from 'vitest';
import type {
  CreateUvmRequest,
  FilesRequest,
  LayerService,
  MountRequest,
  RemoveUvmRequest,
  UnmountRequest,
} from '../engine/service-api.js';
import {
  API,
  EVENTS,
  METHOD_NAMES,
  methodByChannel,
  methodByName,
  type ArgsOf,
  type MethodName,
  type ResultOf,
} from './api.js';

/** The service's operations (its methods, minus the subscription and lifecycle). */
type ServiceOperation = Exclude<
  {
    [K in keyof LayerService]: LayerService[K] extends (...args: never[]) => unknown ? K : never;
  }[keyof LayerService],
  'subscribe' | 'close'
>;
/** Methods the host answers itself rather than forwarding to the service. */
type HostOnly = 'info' | 'snapshot' | 'pickFolders';
type ServiceResult<K extends ServiceOperation> = Awaited<ReturnType<LayerService[K]>>;

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

  it('offers every LayerService operation, each with the result type of the service', () => {
    // Adding a method to LayerService without a table entry (or the reverse) fails to compile.
    expectTypeOf<Exclude<MethodName, HostOnly>>().toEqualTypeOf<ServiceOperation>();
    expectTypeOf<ResultOf<'listUvms'>>().toEqualTypeOf<ServiceResult<'listUvms'>>();
    expectTypeOf<ResultOf<'showUvm'>>().toEqualTypeOf<ServiceResult<'showUvm'>>();
    expectTypeOf<ResultOf<'createUvm'>>().toEqualTypeOf<ServiceResult<'createUvm'>>();
    expectTypeOf<ResultOf<'mount'>>().toEqualTypeOf<ServiceResult<'mount'>>();
    expectTypeOf<ResultOf<'containers'>>().toEqualTypeOf<ServiceResult<'containers'>>();
    expectTypeOf<ResultOf<'log'>>().toEqualTypeOf<ServiceResult<'log'>>();
    expectTypeOf<ResultOf<'files'>>().toEqualTypeOf<ServiceResult<'files'>>();
    expectTypeOf<ResultOf<'verifyUvm'>>().toEqualTypeOf<ServiceResult<'verifyUvm'>>();
    expect(API.files.channel).toBe('files:list');
    expect(API.verifyUvm.channel).toBe('uvm:verify');
  });

  it('argument types match the service requests', () => {
    expectTypeOf<ArgsOf<'createUvm'>>().toExtend<CreateUvmRequest>();
    expectTypeOf<CreateUvmRequest>().toExtend<ArgsOf<'createUvm'>>();
    expectTypeOf<ArgsOf<'mount'>>().toExtend<MountRequest>();
    expectTypeOf<ArgsOf<'unmount'>>().toExtend<UnmountRequest>();
    expectTypeOf<ArgsOf<'removeUvm'>>().toExtend<RemoveUvmRequest>();
    expectTypeOf<ArgsOf<'files'>>().toEqualTypeOf<FilesRequest>();
    expectTypeOf<ArgsOf<'verifyUvm'>>().toEqualTypeOf<{ id: string }>();
  });

  it('validates a files request and a read-back request', () => {
    const args = { uvm: 'u1', guestRoot: '/run/gcs/c/1', path: 'etc/ssl' };
    expect(API.files.args.parse(args)).toEqual(args);
    expect(API.files.args.parse({ uvm: 'u1', guestRoot: '/r' })).toEqual({
      uvm: 'u1',
      guestRoot: '/r',
    });
    expect(() => API.files.args.parse({ uvm: 'u1', guestRoot: '/r', path: 'a\0b' })).toThrow(
      /path/,
    );
    expect(() => API.files.args.parse({ uvm: 'u1', path: 'etc' })).toThrow(/guestRoot/);
    expect(() => API.files.args.parse({ ...args, depth: 2 })).toThrow(
      /depth: expected no such key/,
    );
    expect(() => API.files.args.parse({ ...args, uvm: '' })).toThrow(/uvm/);
    expect(API.verifyUvm.args.parse({ id: 'u1' })).toEqual({ id: 'u1' });
    expect(() => API.verifyUvm.args.parse({ id: 7 })).toThrow(/id/);
    expect(() => API.verifyUvm.args.parse({})).toThrow(/id/);
  });

  it('validates a mount request', () => {
    const args = { uvm: 'u1', guestRoot: '/run/gcs/c/1', layers: ['/l/1'], scratch: '/s' };
    expect(API.mount.args.parse(args)).toEqual(args);
    expect(() => API.mount.args.parse({ ...args, layers: '/l/1' })).toThrow(/layers/);
    expect(() => API.unmount.args.parse({ guestRoot: '/x', ops: ['all'] })).toThrow(/ops\[0\]/);
  });
});
