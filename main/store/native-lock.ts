/**
 * OS advisory locks through koffi: flock() on Linux/macOS, LockFileEx() on Windows. The kernel
 * drops these when the holding process dies (even by SIGKILL), so a crash never leaves a stale lock.
 *
 * Both are per open file (description/handle), not per process: two opens of one lock file in the
 * same process exclude each other, which is what lets several StateStore instances share a folder.
 */
import fs from 'node:fs';
import { UvmLayersError } from '../engine/errors.js';
import { loadKoffi as loadNativeKoffi, type Koffi } from '../../native/koffi-loader.js';
import { ioError } from './store-errors.js';

/** One open lock file. tryLock never waits; callers poll (async) or sleep (sync) between tries. */
export interface OsLockFile {
  tryLock(): boolean;
  unlock(): void;
  close(): void;
  /** Why the last tryLock said no, when the OS said something beyond "held by someone". */
  readonly lastRefusal: string | undefined;
}

export function openOsLockFile(file: string): OsLockFile {
  return process.platform === 'win32' ? WindowsLockFile.open(file) : PosixLockFile.open(file);
}

/** koffi is loaded on the first lock only: commands that never lock do not pay for the native module. */
function loadKoffi(): Koffi {
  try {
    return loadNativeKoffi();
  } catch (error) {
    throw nativeUnavailable('the koffi module', error);
  }
}

function nativeUnavailable(what: string, cause: unknown): UvmLayersError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new UvmLayersError(
    'STORE_IO',
    `Cannot take state-store locks: loading ${what} failed (${detail}). ` +
      'The installation looks incomplete: reinstall uvm-layers.',
  );
}

// ---- POSIX: flock(2) -------------------------------------------------------------------------

const LOCK_EX = 2;
const LOCK_NB = 4;
const LOCK_UN = 8;

interface PosixApi {
  flock: (fd: number, operation: number) => number;
  errno: () => number;
  errnoName: (errno: number) => string;
  busy: ReadonlySet<number>;
  interrupted: number | undefined;
}

let posixApi: PosixApi | undefined;

function libcCandidates(): string[] {
  if (process.platform === 'darwin') return ['/usr/lib/libSystem.B.dylib', 'libc.dylib'];
  if (process.platform === 'linux') {
    return [
      'libc.so.6',
      `libc.musl-${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}.so.1`,
      'libc.so',
    ];
  }
  return ['libc.so.7', 'libc.so'];
}

function loadPosixApi(): PosixApi {
  if (posixApi !== undefined) return posixApi;
  const k = loadKoffi();
  const failures: string[] = [];
  for (const name of libcCandidates()) {
    try {
      const libc = k.load(name);
      const flock = libc.func('int flock(int fd, int operation)') as unknown as PosixApi['flock'];
      const codes = k.os.errno;
      const names = new Map(Object.entries(codes).map(([n, v]) => [v, n]));
      const busy = new Set(
        [codes.EWOULDBLOCK, codes.EAGAIN].filter((c): c is number => c !== undefined),
      );
      posixApi = {
        flock,
        errno: () => k.errno(),
        errnoName: (errno) => names.get(errno) ?? `errno ${errno}`,
        busy,
        interrupted: codes.EINTR,
      };
      return posixApi;
    } catch (error) {
      failures.push(`${name}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  throw nativeUnavailable(`the C library for flock() (${failures.join('; ')})`, 'not found');
}

class PosixLockFile implements OsLockFile {
  lastRefusal: string | undefined;

  private constructor(
    private readonly file: string,
    private readonly fd: number,
    private readonly api: PosixApi,
  ) {}

  static open(file: string): PosixLockFile {
    const api = loadPosixApi();
    let fd: number;
    try {
      fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o600);
    } catch (error) {
      throw ioError('open the lock file', file, error);
    }
    return new PosixLockFile(file, fd, api);
  }

  tryLock(): boolean {
    for (;;) {
      if (this.api.flock(this.fd, LOCK_EX | LOCK_NB) === 0) return true;
      const errno = this.api.errno();
      if (errno === this.api.interrupted) continue;
      if (this.api.busy.has(errno)) return false;
      throw ioError('lock', this.file, new Error(`flock() failed: ${this.api.errnoName(errno)}`));
    }
  }

  unlock(): void {
    // Closing the fd would release the lock too; unlocking first keeps the intent explicit.
    this.api.flock(this.fd, LOCK_UN);
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}

// ---- Windows: LockFileEx --------------------------------------------------------------------
//
// We open the file with CreateFileW ourselves instead of mapping a Node fd through
// _get_osfhandle: node.exe links the C runtime statically (/MT), so a separately loaded CRT
// (ucrtbase.dll) has its own fd table and does not know Node's fds (nodejs/node#6369, #15433).

const GENERIC_READ_WRITE = 0xc0000000;
const FILE_SHARE_ALL = 0x1 | 0x2 | 0x4; // read | write | delete: other processes read the pid
const OPEN_ALWAYS = 4;
const FILE_ATTRIBUTE_NORMAL = 0x80;
const INVALID_HANDLE_VALUE = -1;
const LOCKFILE_FAIL_IMMEDIATELY = 0x1;
const LOCKFILE_EXCLUSIVE_LOCK = 0x2;
const ERROR_LOCK_VIOLATION = 33;
const ERROR_IO_PENDING = 997;
// Windows byte-range locks are mandatory: a locked range cannot be read or written through other
// handles. Lock one byte far beyond the content so the holder's pid stays readable by waiters.
const LOCKED_BYTE_OFFSET = 0x40000000;

interface Overlapped {
  Internal: number;
  InternalHigh: number;
  Offset: number;
  OffsetHigh: number;
  hEvent: number;
}

interface WindowsApi {
  createFile: (
    name: string,
    access: number,
    share: number,
    security: null,
    disposition: number,
    flags: number,
    template: number,
  ) => number;
  lockFileEx: (
    h: number,
    flags: number,
    reserved: number,
    lenLow: number,
    lenHigh: number,
    o: Overlapped,
  ) => number;
  unlockFileEx: (
    h: number,
    reserved: number,
    lenLow: number,
    lenHigh: number,
    o: Overlapped,
  ) => number;
  closeHandle: (h: number) => number;
  getLastError: () => number;
}

let windowsApi: WindowsApi | undefined;

function loadWindowsApi(): WindowsApi {
  if (windowsApi !== undefined) return windowsApi;
  const k = loadKoffi();
  try {
    const kernel32 = k.load('kernel32.dll');
    // HANDLE is declared as intptr_t: handles are small integers, and -1 marks failure.
    const overlapped = k.pointer(
      k.struct({
        Internal: 'uintptr_t',
        InternalHigh: 'uintptr_t',
        Offset: 'uint32_t', // Offset and OffsetHigh overlay a PVOID in a union; same size and
        OffsetHigh: 'uint32_t', // alignment on x86 and x64, and we never use the pointer form.
        hEvent: 'uintptr_t',
      }),
    );
    windowsApi = {
      createFile: kernel32.func('__stdcall', 'CreateFileW', 'intptr_t', [
        'str16',
        'uint32_t',
        'uint32_t',
        'void *',
        'uint32_t',
        'uint32_t',
        'intptr_t',
      ]) as unknown as WindowsApi['createFile'],
      lockFileEx: kernel32.func('__stdcall', 'LockFileEx', 'int', [
        'intptr_t',
        'uint32_t',
        'uint32_t',
        'uint32_t',
        'uint32_t',
        overlapped,
      ]) as unknown as WindowsApi['lockFileEx'],
      unlockFileEx: kernel32.func('__stdcall', 'UnlockFileEx', 'int', [
        'intptr_t',
        'uint32_t',
        'uint32_t',
        'uint32_t',
        overlapped,
      ]) as unknown as WindowsApi['unlockFileEx'],
      closeHandle: kernel32.func('__stdcall', 'CloseHandle', 'int', [
        'intptr_t',
      ]) as unknown as WindowsApi['closeHandle'],
      getLastError: kernel32.func(
        '__stdcall',
        'GetLastError',
        'uint32_t',
        [],
      ) as unknown as WindowsApi['getLastError'],
    };
    return windowsApi;
  } catch (error) {
    throw nativeUnavailable('kernel32.dll lock functions', error);
  }
}

function lockedRange(): Overlapped {
  return { Internal: 0, InternalHigh: 0, Offset: LOCKED_BYTE_OFFSET, OffsetHigh: 0, hEvent: 0 };
}

class WindowsLockFile implements OsLockFile {
  lastRefusal: string | undefined;

  private constructor(
    private readonly handle: number,
    private readonly api: WindowsApi,
  ) {}

  static open(file: string): WindowsLockFile {
    const api = loadWindowsApi();
    const handle = api.createFile(
      file,
      GENERIC_READ_WRITE,
      FILE_SHARE_ALL,
      null,
      OPEN_ALWAYS,
      FILE_ATTRIBUTE_NORMAL,
      0,
    );
    if (handle === INVALID_HANDLE_VALUE || handle === 0) {
      const code = api.getLastError();
      throw ioError(
        'open the lock file',
        file,
        new Error(`CreateFileW failed with Win32 error ${code}`),
      );
    }
    return new WindowsLockFile(handle, api);
  }

  tryLock(): boolean {
    const flags = LOCKFILE_EXCLUSIVE_LOCK | LOCKFILE_FAIL_IMMEDIATELY;
    if (this.api.lockFileEx(this.handle, flags, 0, 1, 0, lockedRange()) !== 0) {
      this.lastRefusal = undefined;
      return true;
    }
    // Treat every refusal as "busy" and keep polling: an unexpected code (GetLastError may be
    // disturbed between two FFI calls) is reported in the timeout message rather than thrown.
    const code = this.api.getLastError();
    this.lastRefusal =
      code === ERROR_LOCK_VIOLATION || code === ERROR_IO_PENDING
        ? undefined
        : `Win32 error ${code}`;
    return false;
  }

  unlock(): void {
    this.api.unlockFileEx(this.handle, 0, 1, 0, lockedRange());
  }

  close(): void {
    this.api.closeHandle(this.handle);
  }
}
