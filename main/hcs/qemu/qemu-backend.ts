/**
 * `--backend qemu`: real Linux utility VMs under QEMU, driven through QMP and the guest agent.
 *
 * Every CLI call is a new process, so nothing lives in memory between calls: state.json per UVM
 * (written atomically) holds the HCS model and the QEMU objects, and each call reattaches
 * through the sockets. QEMU serves one QMP client at a time; holding the QMP connection for a
 * whole call is the cross-process lock, and other callers wait their turn on the socket. A UVM
 * whose QEMU process has gone is reported as Stopped and answers HCS_E_SYSTEM_NOT_FOUND.
 * `close()` leaves the VMs running on purpose: the next process (or app start) reattaches;
 * `terminateUtilityVm` stops one.
 *
 * Answers to documents (see apply-document.ts): the simulator's refusals for invalid documents,
 * E_NOTIMPL for what QEMU cannot do (multi-mapped vPMEM, read-write vPMEM, ISO/PassThru),
 * E_INVALIDARG for images QEMU cannot map (vPMEM needs a fixed VHD with 2 MiB-aligned data),
 * NO_AVAILABLE_LOCATION when parked vPMEM devices used up the root ports or address window (the
 * engine then falls back to SCSI), and the guest agent's errors mapped from their errno.
 */
import * as fs from 'node:fs';
import { UvmLayersError } from '../../engine/errors.js';
import type { ComputeSystemInfo, HcsBackend, HostLayers, UvmCreateConfig } from '../backend.js';
import type { ModifySettingRequest } from '../schema.js';
import { createHostFiles, defaultPlatform, type HostFiles } from '../sim/host-files.js';
import { refuse } from '../sim/sim-errors.js';
import { newSystemState } from '../sim/sim-state.js';
import { validateCreateConfig } from '../sim/validate-config.js';
import { accelFromEnv, chooseAccel, type AccelChoice } from './accel.js';
import { AgentClient, type AgentEntry, type AgentMount } from './agent-client.js';
import { carryOut, judgeDocument } from './apply-document.js';
import { resolveBootImage, type BootImage } from './boot-image.js';
import { compareReadBack, type ExpectedDevices, type Mismatch } from './compare.js';
import { fitWindow, readDeviceMemory } from './device-memory.js';
import { unsupportedHostLayers } from './host-layers.js';
import { KeyedMutex } from './keyed-mutex.js';
import type { OpContext } from './op-context.js';
import { recoverPending } from './pending-recovery.js';
import type { LaunchSpec } from './qemu-command.js';
import { systemQemuHost, type QemuHost } from './qemu-process.js';
import { loadState, QEMU_STATE_VERSION, saveState, type QemuUvmState } from './qemu-state.js';
import { emptyReadBack, readRunningVm, type ReadBack } from './readback.js';
import { asQemuRefusal, qemuRefuse } from './refusals.js';
import { qemuRoot, runFiles, type RunFiles } from './run-files.js';
import { bootVm, killAndWait } from './vm-boot.js';
import { planLayout } from './vm-layout.js';
import { probeKvm, readPidFile, removeRunDir, stopVm } from './vm-lifecycle.js';
import { DEFAULT_SESSION_TIMEOUTS, VmSession, type SessionTimeouts } from './vm-session.js';

export interface QemuBackendOptions {
  stateDir: string;
  /** From starting QEMU until the guest agent answers; default 60 s (TCG boots in 3-6 s). */
  bootTimeoutMs?: number;
  /** Default: `UVM_LAYERS_QEMU_ACCEL`, else `auto` (KVM only after a successful test boot). */
  accel?: AccelChoice;
  /** Kernel and initramfs; default: the image `uvm-layers image build` made under stateDir. */
  image?: BootImage;
  /** Test seam: how processes are started and checked. */
  host?: QemuHost;
  sessionTimeouts?: Partial<SessionTimeouts>;
}

export type RunState = 'Created' | 'Running' | 'Stopped';

export interface QemuBackend extends HcsBackend {
  readonly name: 'qemu';
  /** The guest's mount table (`/proc/self/mounts`). */
  guestMounts(id: string): Promise<AgentMount[]>;
  /** A guest directory's entries (lstat), sorted by name. */
  listDirectory(id: string, guestPath: string): Promise<AgentEntry[]>;
  statPath(id: string, guestPath: string): Promise<AgentEntry>;
  /** The start of a guest file (at most `maxBytes`, default 64 KiB) and its full size. */
  readGuestFile(
    id: string,
    guestPath: string,
    maxBytes?: number,
  ): Promise<{ data: Buffer; size: number }>;
  writeGuestFile(id: string, guestPath: string, data: Buffer, mode?: number): Promise<void>;
  /** What QEMU and the guest really hold, labelled with what state.json records. */
  readBack(id: string): Promise<ReadBack>;
  /** Differences between a read-back and the engine's ledger (pass its UvmView), as data. */
  compare(readBack: ReadBack, expected: ExpectedDevices): Mismatch[];
}

export function createQemuBackend(options: QemuBackendOptions): QemuBackend {
  return new QemuHcs(options);
}

class QemuHcs implements QemuBackend {
  readonly name = 'qemu';
  readonly hostLayers: HostLayers = unsupportedHostLayers();
  private readonly host: QemuHost;
  private readonly hostFiles: HostFiles = createHostFiles(defaultPlatform());
  private readonly mutex = new KeyedMutex();
  private readonly timeouts: SessionTimeouts;
  private closed = false;

  constructor(private readonly options: QemuBackendOptions) {
    this.host = options.host ?? systemQemuHost;
    this.timeouts = { ...DEFAULT_SESSION_TIMEOUTS, ...options.sessionTimeouts };
  }

  createUtilityVm(config: UvmCreateConfig): Promise<void> {
    return this.call(config.id, () => {
      try {
        validateCreateConfig(config);
      } catch (error) {
        throw asQemuRefusal(error);
      }
      if (config.os !== 'linux') throw qemuRefuse.windowsGuest(config.id);
      const files = this.files(config.id);
      if (loadState(files)) throw refuse.alreadyExists(`utility VM ${config.id} already exists`);
      const state: QemuUvmState = {
        version: QEMU_STATE_VERSION,
        id: config.id,
        model: newSystemState(config),
        layout: planLayout(config),
        scsi: {},
        pmem: {},
        parked: [],
        serial: 0,
      };
      saveState(files, state);
      return Promise.resolve();
    });
  }

  startUtilityVm(id: string): Promise<void> {
    return this.call(id, async () => {
      const files = this.files(id);
      const state = this.load(id, files);
      const run = this.runState(state, files);
      if (run === 'Running') throw refuse.invalidState(`utility VM ${id} is already Running`);
      if (run === 'Stopped') throw qemuRefuse.gone(id, state.process?.pid);
      const image = resolveBootImage(this.options.stateDir, this.options.image);
      const choice = this.options.accel ?? accelFromEnv() ?? 'auto';
      const { accel } = await chooseAccel(qemuRoot(this.options.stateDir), choice, () =>
        probeKvm(this.host, this.options.stateDir, image),
      );
      // A QEMU left by a start whose process died before recording it would hold the sockets.
      const stale = readPidFile(files);
      if (stale !== undefined && this.host.isRunning(stale, files)) {
        await killAndWait(this.host, stale, files);
      }
      const spec: LaunchSpec = { id, files, ...image, accel, layout: state.layout };
      const booted = await bootVm(this.host, spec, {
        timeoutMs: this.options.bootTimeoutMs ?? 60_000,
      });
      try {
        const session = await VmSession.open(files, { ...this.timeouts, qmpConnectMs: 10_000 });
        try {
          const actual = await readDeviceMemory(session.qmp);
          state.layout.pmemWindow = fitWindow(state.layout.pmemWindow, actual);
        } finally {
          await session.close();
        }
      } catch (error) {
        await killAndWait(this.host, booted.pid, files);
        throw error;
      }
      state.process = {
        pid: booted.pid,
        accel,
        startedAt: new Date().toISOString(),
        bootMs: booted.bootMs,
      };
      state.model.state = 'Running';
      saveState(files, state);
    });
  }

  terminateUtilityVm(id: string): Promise<void> {
    return this.call(id, async () => {
      const files = this.files(id);
      const state = this.load(id, files);
      const pid = state.process?.pid ?? readPidFile(files);
      if (pid !== undefined && this.host.isRunning(pid, files)) await stopVm(this.host, pid, files);
      removeRunDir(files);
    });
  }

  modify(id: string, request: ModifySettingRequest): Promise<void> {
    return this.call(id, async () => {
      const files = this.files(id);
      // Judge once before queueing on the socket, so a bad document is refused at once (not
      // when a dead process left objects behind: those are removed first, under the lock)…
      const current = this.requireRunning(id, files);
      if (!current.pending?.length) judgeDocument(request, current.model, this.hostFiles, id);
      await this.withSession(id, files, async (session) => {
        const state = this.requireRunning(id, files);
        const ctx = this.context(id, files, state, session);
        await this.recover(ctx, files);
        // …and again on the state as it is now that we hold the lock.
        const { plan, next } = judgeDocument(request, state.model, this.hostFiles, id);
        try {
          await carryOut(ctx, plan);
          state.model = next;
          delete state.pending;
        } catch (error) {
          // Undone in full: nothing is pending. ROLLBACK_FAILED: the next call tries again.
          if (!(error instanceof UvmLayersError && error.code === 'ROLLBACK_FAILED')) {
            delete state.pending;
          }
          throw error;
        } finally {
          // Also after a failure: parked devices and used ids must be remembered.
          saveState(files, state);
        }
      });
    });
  }

  grantVmAccess(id: string, hostPath: string): Promise<void> {
    return this.call(id, async () => {
      const files = this.files(id);
      const grant = (state: QemuUvmState): void => {
        this.hostFiles.entry(hostPath, `cannot grant utility VM ${id} access to ${hostPath}`);
        const key = this.hostFiles.key(hostPath);
        if (state.model.grants.includes(key)) return;
        state.model.grants.push(key);
        saveState(files, state);
      };
      const state = this.load(id, files);
      const run = this.runState(state, files);
      if (run === 'Stopped') throw qemuRefuse.gone(id, state.process?.pid);
      if (run === 'Created') return grant(state);
      await this.withSession(id, files, async (session) => {
        const current = this.requireRunning(id, files);
        await this.recover(this.context(id, files, current, session), files);
        grant(current);
      });
    });
  }

  enumerate(): Promise<ComputeSystemInfo[]> {
    return Promise.resolve().then(() => this.listSystems());
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }

  guestMounts(id: string): Promise<AgentMount[]> {
    return this.withAgent(id, (agent) => agent.mounts());
  }

  listDirectory(id: string, guestPath: string): Promise<AgentEntry[]> {
    return this.withAgent(id, (agent) => agent.list(guestPath));
  }

  statPath(id: string, guestPath: string): Promise<AgentEntry> {
    return this.withAgent(id, (agent) => agent.stat(guestPath));
  }

  readGuestFile(
    id: string,
    guestPath: string,
    maxBytes?: number,
  ): Promise<{ data: Buffer; size: number }> {
    return this.withAgent(id, (agent) => agent.readFile(guestPath, maxBytes));
  }

  writeGuestFile(id: string, guestPath: string, data: Buffer, mode?: number): Promise<void> {
    return this.withAgent(id, (agent) => agent.writeFile(guestPath, data, mode));
  }

  readBack(id: string): Promise<ReadBack> {
    return this.call(id, async () => {
      const files = this.files(id);
      const state = this.load(id, files);
      const run = this.runState(state, files);
      if (run !== 'Running') return emptyReadBack(state, run);
      return this.withSession(id, files, (session) =>
        readRunningVm(session, this.requireRunning(id, files)),
      );
    });
  }

  compare(readBack: ReadBack, expected: ExpectedDevices): Mismatch[] {
    return compareReadBack(readBack, expected);
  }

  /** Runs `fn` for one UVM, after any call of this process on it, unless the backend is closed. */
  private call<T>(id: string, fn: () => Promise<T>): Promise<T> {
    return this.mutex.run(id, () => {
      this.checkOpen();
      return fn();
    });
  }

  /** A QMP (and, when needed, agent) session; a VM that died meanwhile is reported as gone. */
  private async withSession<T>(
    id: string,
    files: RunFiles,
    fn: (session: VmSession) => Promise<T>,
  ): Promise<T> {
    let session: VmSession;
    try {
      session = await VmSession.open(files, this.timeouts);
    } catch (error) {
      throw this.goneOr(id, files, error);
    }
    try {
      return await fn(session);
    } catch (error) {
      throw this.goneOr(id, files, error);
    } finally {
      await session.close();
    }
  }

  private withAgent<T>(id: string, fn: (agent: AgentClient) => Promise<T>): Promise<T> {
    return this.call(id, async () => {
      const files = this.files(id);
      this.requireRunning(id, files);
      let agent: AgentClient;
      try {
        agent = await AgentClient.connect(files.agent, { timeoutMs: this.timeouts.agentConnectMs });
      } catch (error) {
        throw this.goneOr(id, files, error);
      }
      try {
        return await fn(agent);
      } catch (error) {
        throw this.goneOr(id, files, error);
      } finally {
        await agent.close();
      }
    });
  }

  private context(id: string, files: RunFiles, state: QemuUvmState, session: VmSession): OpContext {
    return {
      uvm: id,
      state,
      session,
      note(step) {
        state.pending = [...(state.pending ?? []), step];
        saveState(files, state);
      },
    };
  }

  /** Removes what a process that died mid-document may have created (pending-recovery.ts). */
  private async recover(ctx: OpContext, files: RunFiles): Promise<void> {
    if (!ctx.state.pending?.length) return;
    try {
      await recoverPending(ctx);
    } finally {
      saveState(files, ctx.state);
    }
  }

  /** A transport failure because QEMU exited is "the VM is gone", not a socket error. */
  private goneOr(id: string, files: RunFiles, error: unknown): unknown {
    const state = loadState(files);
    if (state && this.runState(state, files) === 'Stopped') {
      return qemuRefuse.gone(id, state.process?.pid);
    }
    return error;
  }

  private listSystems(): ComputeSystemInfo[] {
    this.checkOpen();
    const root = qemuRoot(this.options.stateDir);
    let names: string[];
    try {
      names = fs.readdirSync(root).filter((n) => !n.startsWith('.'));
    } catch {
      return [];
    }
    const systems: ComputeSystemInfo[] = [];
    for (const name of names.sort()) {
      const files = this.files(name);
      const state = loadState(files);
      if (!state) continue;
      systems.push({
        id: state.id,
        systemType: 'VirtualMachine',
        state: this.runState(state, files),
        owner: 'uvm-layers',
        runtimeOsType: 'Linux',
      });
    }
    return systems;
  }

  private files(id: string): RunFiles {
    return runFiles(this.options.stateDir, id);
  }

  private load(id: string, files: RunFiles): QemuUvmState {
    const state = loadState(files);
    if (!state) throw refuse.systemNotFound(id);
    return state;
  }

  /** The state of a UVM that must be running: refusals as the simulator words them. */
  private requireRunning(id: string, files: RunFiles): QemuUvmState {
    const state = this.load(id, files);
    const run = this.runState(state, files);
    if (run === 'Created') {
      throw refuse.invalidState(`utility VM ${id} is Created, not Running; it cannot be modified`);
    }
    if (run === 'Stopped') throw qemuRefuse.gone(id, state.process?.pid);
    return state;
  }

  private runState(state: QemuUvmState, files: RunFiles): RunState {
    if (state.model.state !== 'Running') return 'Created';
    const pid = state.process?.pid;
    return pid !== undefined && this.host.isRunning(pid, files) ? 'Running' : 'Stopped';
  }

  private checkOpen(): void {
    if (this.closed) {
      throw new UvmLayersError('BACKEND_UNAVAILABLE', 'the qemu backend has been closed');
    }
  }
}
