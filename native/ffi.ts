/**
 * The shapes values take at the FFI boundary, shared by the koffi bindings and the test fakes.
 * They follow koffi 3's conventions, so the real binding passes them through untouched:
 * pointers are BigInts and NULL is `null`; an out parameter is a one-element array that the
 * call fills; JS strings given to `const char16_t *` parameters are encoded as UTF-16.
 */

/** A native pointer or handle (HCS_OPERATION, HCS_SYSTEM, a PWSTR the callee allocated). */
export type NativePointer = bigint;

/** An `_Out_` or `_Inout_` parameter: element 0 is written by the call. */
export type Out<T> = [T | null];

/** What `lib.func(prototype)` returns, reduced to what the bindings use. */
export interface NativeFunction {
  (...args: unknown[]): unknown;
  /** Runs the call on a worker thread; the last argument is a `(error, result)` callback. */
  async(...args: unknown[]): void;
}

/** A loaded DLL (koffi's LibraryHandle satisfies this). */
export interface NativeLibrary {
  func(prototype: string): NativeFunction;
}

export function isNull(pointer: NativePointer | null | undefined): pointer is null | undefined {
  return pointer === null || pointer === undefined || pointer === 0n;
}

/**
 * Calls a function on koffi's worker pool and resolves with its HRESULT as an unsigned 32-bit
 * number (the form `hresult.ts` uses). Blocking HCS calls must not run on the event loop: the
 * Electron main process would freeze for as long as HCS takes.
 */
export function callHresultAsync(fn: NativeFunction, args: readonly unknown[]): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    fn.async(...args, (error: unknown, result: unknown) => {
      if (error !== null && error !== undefined) {
        reject(error instanceof Error ? error : new Error(`native call failed: ${JSON.stringify(error)}`));
        return;
      }
      resolve(Number(result) >>> 0);
    });
  });
}
