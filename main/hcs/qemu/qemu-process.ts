/**
 * The operating-system side of running QEMU, behind an interface so unit tests can stand in
 * fake QMP and agent servers for a real process. QEMU is started detached (its own session,
 * no pipes to us): every CLI call is a short-lived process, and the VM must outlive it.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { UvmLayersError } from '../../engine/errors.js';
import { QEMU_BINARY, qemuArgs, type LaunchSpec } from './qemu-command.js';
import type { RunFiles } from './run-files.js';

export interface QemuHost {
  /** Starts QEMU for `spec`; resolves with its pid once the process exists. */
  launch(spec: LaunchSpec): Promise<number>;
  /** True while `pid` is alive and is the QEMU of `files` (a recycled pid is not). */
  isRunning(pid: number, files: RunFiles): boolean;
  kill(pid: number, signal: NodeJS.Signals): void;
}

export const systemQemuHost: QemuHost = {
  launch(spec) {
    const log = fs.openSync(spec.files.log, 'a', 0o600);
    return new Promise<number>((resolve, reject) => {
      const child = spawn(QEMU_BINARY, qemuArgs(spec), {
        detached: true,
        stdio: ['ignore', log, log],
        cwd: spec.files.dir,
      });
      child.once('error', (error: NodeJS.ErrnoException) => {
        fs.closeSync(log);
        reject(
          error.code === 'ENOENT'
            ? new UvmLayersError(
                'BACKEND_UNAVAILABLE',
                `${QEMU_BINARY} is not installed: apt-get install --no-install-recommends qemu-system-x86 qemu-utils`,
              )
            : new UvmLayersError(
                'BACKEND_UNAVAILABLE',
                `cannot start ${QEMU_BINARY}: ${error.message}`,
              ),
        );
      });
      child.once('spawn', () => {
        fs.closeSync(log);
        child.unref();
        if (child.pid === undefined) {
          reject(new UvmLayersError('BACKEND_UNAVAILABLE', `${QEMU_BINARY} started without a pid`));
        } else {
          resolve(child.pid);
        }
      });
    });
  },

  isRunning(pid, files) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      // Field 3, after the parenthesised command name: Z is a zombie, already dead.
      if (/\)\s+Z\s/.test(stat)) return false;
      const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      return cmdline.includes(files.qmp);
    } catch {
      if (process.platform === 'linux') return false;
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    }
  },

  kill(pid, signal) {
    try {
      process.kill(pid, signal);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  },
};
