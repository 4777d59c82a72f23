/**
 * Starting and stopping QEMU processes outside of a UVM's documents: the KVM test boot, and
 * stopping a VM (QMP `quit`, then SIGKILL), plus the pid file a start leaves behind.
 */
import * as fs from 'node:fs';
import { UvmLayersError } from '../../engine/errors.js';
import type { BootImage } from './boot-image.js';
import type { LaunchSpec } from './qemu-command.js';
import type { QemuHost } from './qemu-process.js';
import { runFiles, type RunFiles } from './run-files.js';
import { sleep } from './unix-socket.js';
import { bootVm, killAndWait } from './vm-boot.js';
import { planLayout } from './vm-layout.js';
import { DEFAULT_SESSION_TIMEOUTS, VmSession } from './vm-session.js';

const KVM_PROBE_TIMEOUT_MS = 20_000;
/** Under a working accelerator the kernel prints its banner within a second. */
const KVM_PROBE_SILENCE_MS = 6_000;
const QUIT_WAIT_MS = 10_000;

/** Boots the image under KVM once; undefined on success, else why it failed. */
export async function probeKvm(
  host: QemuHost,
  stateDir: string,
  image: BootImage,
): Promise<string | undefined> {
  const files = runFiles(stateDir, `.kvm-probe-${process.pid}`);
  const spec: LaunchSpec = {
    id: 'kvm-probe',
    files,
    ...image,
    accel: 'kvm',
    layout: planLayout({ vpmemCount: 0, vpmemMaxSizeBytes: 0 }),
  };
  try {
    const booted = await bootVm(host, spec, {
      timeoutMs: KVM_PROBE_TIMEOUT_MS,
      silentConsoleMs: KVM_PROBE_SILENCE_MS,
    });
    await killAndWait(host, booted.pid, files);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  } finally {
    removeRunDir(files);
  }
}

/** QMP `quit` (QEMU flushes and exits), then SIGKILL if it is still there after 10 s. */
export async function stopVm(host: QemuHost, pid: number, files: RunFiles): Promise<void> {
  try {
    const session = await VmSession.open(files, {
      ...DEFAULT_SESSION_TIMEOUTS,
      qmpConnectMs: 5_000,
    });
    // QEMU may close the socket before it answers: the exit below is what counts.
    await session.qmp.execute('quit', undefined, 5_000).catch(() => undefined);
    session.qmp.destroy();
  } catch {
    // QMP busy or broken: the signals below still stop it.
  }
  for (let waited = 0; waited < QUIT_WAIT_MS && host.isRunning(pid, files); waited += 100) {
    await sleep(100);
  }
  if (!host.isRunning(pid, files)) return;
  await killAndWait(host, pid, files);
  if (host.isRunning(pid, files)) {
    throw new UvmLayersError(
      'BACKEND_UNAVAILABLE',
      `QEMU process ${pid} did not exit after SIGKILL`,
    );
  }
}

export function removeRunDir(files: RunFiles): void {
  fs.rmSync(files.dir, { recursive: true, force: true });
  if (files.socketDir !== files.dir) fs.rmSync(files.socketDir, { recursive: true, force: true });
}

/** The pid a start wrote, also when it died before recording it in state.json. */
export function readPidFile(files: RunFiles): number | undefined {
  try {
    const pid = Number.parseInt(fs.readFileSync(files.pid, 'utf8'), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}
