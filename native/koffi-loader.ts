/**
 * Loads koffi and Windows DLLs on first use only, so nothing native is touched on Linux or macOS
 * or by commands that never reach HCS.
 */
import type { NativeLibrary } from './ffi.js';

export type Koffi = typeof import('koffi');

let koffi: Koffi | undefined;

/** Thrown (as a plain Error) when a native piece is missing; callers turn it into their own error. */
export class NativeLoadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NativeLoadError';
  }
}

export function loadKoffi(): Koffi {
  if (koffi === undefined) {
    try {
      // A synchronous lazy load needs require(); the output is CommonJS (module NodeNext).
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      koffi = require('koffi') as Koffi;
    } catch (error) {
      throw new NativeLoadError(`the koffi module could not be loaded: ${describe(error)}`);
    }
  }
  return koffi;
}

/** Loads a system DLL on Windows; elsewhere says why not, without loading koffi. */
export function loadWindowsLibrary(name: string): NativeLibrary {
  if (process.platform !== 'win32') {
    throw new NativeLoadError(`this is ${process.platform}, not Windows`);
  }
  const k = loadKoffi();
  try {
    return k.load(name);
  } catch (error) {
    throw new NativeLoadError(`${name}: ${describe(error)}`);
  }
}

/**
 * Returns the named koffi type, defining it on first use. koffi's type names are process-wide
 * and a second definition throws, so every binding (and every test) goes through here.
 */
export function namedType(
  k: Koffi,
  name: string,
  define: (k: Koffi) => ReturnType<Koffi['type']>,
): ReturnType<Koffi['type']> {
  try {
    return k.type(name);
  } catch {
    return define(k);
  }
}

export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
