/**
 * The host filesystem as HCS sees it: files must exist (symlinks resolved, as HCS opens the
 * target), and host paths are compared after normalisation (resolved, cleaned; case-insensitive
 * on a Windows host).
 */
import { realpathSync, statSync, type Stats } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { refuse } from './sim-errors.js';

export type HostPlatform = 'posix' | 'windows';

export interface HostEntry {
  /** The resolved path (symlinks followed). */
  realPath: string;
  isDirectory: boolean;
  sizeBytes: number;
}

export interface HostFiles {
  readonly platform: HostPlatform;
  /** An existing entry; `describe` starts the message (`cannot attach X at SCSI slot 0:1 ...`). */
  entry(path: string, describe: string): HostEntry;
  /** An existing regular file. */
  file(path: string, describe: string): HostEntry;
  /** An existing directory. */
  directory(path: string, describe: string): HostEntry;
  /** The comparison key of a host path (resolved when it exists). */
  key(path: string): string;
}

export function defaultPlatform(): HostPlatform {
  return process.platform === 'win32' ? 'windows' : 'posix';
}

export function createHostFiles(platform: HostPlatform): HostFiles {
  const entry = (path: string, describe: string): HostEntry => {
    if (!isAbsolute(path)) {
      throw refuse.invalidArg(`${describe}: host path "${path}" is not absolute`);
    }
    let stats: Stats;
    let realPath: string;
    try {
      realPath = realpathSync(path);
      stats = statSync(realPath);
    } catch {
      throw refuse.fileNotFound(`${describe}: ${path} does not exist`);
    }
    return { realPath, isDirectory: stats.isDirectory(), sizeBytes: stats.size };
  };
  return {
    platform,
    entry,
    file(path, describe) {
      const found = entry(path, describe);
      if (found.isDirectory) {
        throw refuse.invalidArg(`${describe}: ${path} is a directory, not a file`);
      }
      return found;
    },
    directory(path, describe) {
      const found = entry(path, describe);
      if (!found.isDirectory) {
        throw refuse.invalidArg(`${describe}: ${path} is not a directory`);
      }
      return found;
    },
    key(path) {
      let resolved: string;
      try {
        resolved = realpathSync(path);
      } catch {
        resolved = resolve(path);
      }
      return platform === 'windows' ? resolved.toLowerCase() : resolved;
    },
  };
}
