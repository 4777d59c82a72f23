/**
 * Booting one QEMU and waiting until its guest agent answers, with the failure modes the notes
 * measured turned into prompt, explained errors: QEMU exiting (bad option, KVM abort), a guest
 * that prints nothing at all (a KVM that cannot run guests hangs silently), or no agent in time.
 * A failed boot never leaves the process behind.
 */
import * as fs from 'node:fs';
import { UvmLayersError } from '../../engine/errors.js';
import { AgentClient } from './agent-client.js';
import type { LaunchSpec } from './qemu-command.js';
import type { QemuHost } from './qemu-process.js';
import type { RunFiles } from './run-files.js';
import { sleep } from './unix-socket.js';

export interface BootOptions {
  timeoutMs: number;
  /** Fail when the serial console is still empty after this long (a hung accelerator). */
  silentConsoleMs?: number;
}

export interface BootedVm {
  pid: number;
  bootMs: number;
}

/** Creates the run and socket folders and clears what a previous boot left there. */
export function prepareRunDir(files: RunFiles): void {
  fs.mkdirSync(files.dir, { recursive: true, mode: 0o700 });
  fs.mkdirSync(files.socketDir, { recursive: true, mode: 0o700 });
  for (const stale of [files.qmp, files.agent, files.pid]) fs.rmSync(stale, { force: true });
  fs.writeFileSync(files.console, '');
}

export async function bootVm(
  host: QemuHost,
  spec: LaunchSpec,
  options: BootOptions,
): Promise<BootedVm> {
  const { files } = spec;
  prepareRunDir(files);
  const started = Date.now();
  const pid = await host.launch(spec);
  fs.writeFileSync(files.pid, `${pid}\n`);
  const connecting = AgentClient.connect(files.agent, { timeoutMs: options.timeoutMs });
  // Whichever loses the race must not surface later as an unhandled rejection.
  connecting.catch(() => undefined);
  let watching = true;
  const watcher = (async (): Promise<never> => {
    while (watching) {
      await sleep(100);
      if (!watching) break;
      if (!host.isRunning(pid, files)) {
        throw bootFailure(spec, 'QEMU exited during boot');
      }
      const silentFor = Date.now() - started;
      if (
        options.silentConsoleMs !== undefined &&
        silentFor > options.silentConsoleMs &&
        consoleSize(files) === 0
      ) {
        throw bootFailure(spec, `the guest printed nothing in ${options.silentConsoleMs} ms`);
      }
    }
    return new Promise<never>(() => undefined);
  })();
  try {
    const agent = await Promise.race([connecting, watcher]);
    await agent.close();
    return { pid, bootMs: Date.now() - started };
  } catch (error) {
    await killAndWait(host, pid, files);
    if (error instanceof UvmLayersError && error.message.startsWith('utility VM')) throw error;
    throw bootFailure(spec, (error as Error).message);
  } finally {
    watching = false;
  }
}

/** SIGKILL, then wait (briefly) until the process is gone. */
export async function killAndWait(host: QemuHost, pid: number, files: RunFiles): Promise<void> {
  host.kill(pid, 'SIGKILL');
  for (let i = 0; i < 50 && host.isRunning(pid, files); i++) await sleep(100);
}

function bootFailure(spec: LaunchSpec, why: string): UvmLayersError {
  const { files } = spec;
  const details = [
    tail(files.log, 'QEMU said'),
    tail(files.console, `console (${files.console})`),
  ].filter((s) => s !== '');
  return new UvmLayersError(
    'BACKEND_UNAVAILABLE',
    `utility VM ${spec.id} did not boot under ${spec.accel.toUpperCase()}: ${why}${
      details.length > 0 ? `; ${details.join('; ')}` : ''
    }`,
  );
}

function consoleSize(files: RunFiles): number {
  try {
    return fs.statSync(files.console).size;
  } catch {
    return 0;
  }
}

/** The last few lines of a log file, for an error message. */
export function tail(file: string, label: string, lines = 6): string {
  try {
    const text = fs.readFileSync(file, 'utf8').trim();
    if (text === '') return '';
    return `${label}: ${text.split('\n').slice(-lines).join(' | ')}`;
  } catch {
    return '';
  }
}
