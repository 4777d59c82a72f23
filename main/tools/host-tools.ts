/** Finding and running the host programs the layer tools and image builder rely on. */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { UvmLayersError, type ErrorCode } from '../engine/errors.js';

/**
 * Directories searched after PATH: depmod, mke2fs and debugfs live in sbin, which a non-root
 * user's PATH often lacks although the programs run fine unprivileged.
 */
const SBIN_DIRS = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

/** The absolute path of an executable named `name`, or undefined. */
export function findExecutable(
  name: string,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  const dirs = [...(env.PATH ?? '').split(path.delimiter).filter((d) => d !== ''), ...SBIN_DIRS];
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not here; keep looking
    }
  }
  return undefined;
}

/** Like findExecutable, but a missing program is a BACKEND_UNAVAILABLE error naming the package. */
export function requireExecutable(name: string, debianPackage: string, purpose: string): string {
  const found = findExecutable(name);
  if (found !== undefined) return found;
  throw new UvmLayersError(
    'BACKEND_UNAVAILABLE',
    `${purpose} needs \`${name}\`, which is not installed: install the ${debianPackage} package ` +
      `(apt-get install -y --no-install-recommends ${debianPackage})`,
  );
}

export interface RunOptions {
  /** What the run is for, as the start of an error message ("mke2fs for /x/layer.vhd"). */
  what: string;
  cwd?: string;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  /** The error code for a non-zero exit; INTERNAL unless the caller knows better. */
  failureCode?: ErrorCode;
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

/** Runs a program without a shell (arguments are never re-parsed) and collects its output. */
export function runTool(
  file: string,
  args: readonly string[],
  options: RunOptions,
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      [...args],
      {
        cwd: options.cwd,
        env: options.env,
        timeout: options.timeoutMs ?? 300_000,
        maxBuffer: 64 * 1024 * 1024,
        encoding: 'utf8',
      },
      (error, stdout, stderr) => {
        if (error === null) {
          resolve({ stdout, stderr });
          return;
        }
        const errno = (error as NodeJS.ErrnoException).code;
        if (errno === 'ENOENT') {
          reject(
            new UvmLayersError('BACKEND_UNAVAILABLE', `${options.what}: ${file} is not installed`),
          );
          return;
        }
        const detail = lastLines(stderr.trim() || stdout.trim(), 8);
        const how = error.killed
          ? `was stopped after ${options.timeoutMs ?? 300_000} ms`
          : `exited with ${String(error.code ?? error.signal)}`;
        reject(
          new UvmLayersError(
            options.failureCode ?? 'INTERNAL',
            `${options.what}: \`${[path.basename(file), ...args].join(' ')}\` ${how}${detail ? `: ${detail}` : ''}`,
          ),
        );
      },
    );
  });
}

function lastLines(text: string, count: number): string {
  return text.split('\n').slice(-count).join(' | ');
}
