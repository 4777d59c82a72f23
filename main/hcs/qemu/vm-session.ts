/**
 * One call's connections to a running utility VM: QMP first (holding it is the cross-process
 * lock: QEMU serves one QMP client at a time), the agent only when a step needs the guest.
 * Taking them always in that order keeps two processes from each holding one and waiting for
 * the other. Everything is closed at the end of the call, so the next process can attach.
 */
import { AgentClient } from './agent-client.js';
import { QmpClient } from './qmp-client.js';
import type { RunFiles } from './run-files.js';

export interface SessionTimeouts {
  /** Waiting for the QMP socket includes waiting for another process's call to finish. */
  qmpConnectMs: number;
  agentConnectMs: number;
}

export const DEFAULT_SESSION_TIMEOUTS: SessionTimeouts = {
  qmpConnectMs: 120_000,
  agentConnectMs: 60_000,
};

export class VmSession {
  private agentClient: Promise<AgentClient> | undefined;

  private constructor(
    readonly qmp: QmpClient,
    private readonly files: RunFiles,
    private readonly timeouts: SessionTimeouts,
  ) {}

  static async open(files: RunFiles, timeouts: SessionTimeouts): Promise<VmSession> {
    const qmp = await QmpClient.connect(files.qmp, { timeoutMs: timeouts.qmpConnectMs });
    return new VmSession(qmp, files, timeouts);
  }

  /** The agent connection, made on first use. */
  agent(): Promise<AgentClient> {
    this.agentClient ??= AgentClient.connect(this.files.agent, {
      timeoutMs: this.timeouts.agentConnectMs,
    });
    const pending = this.agentClient;
    // A failed connect is retried by the next step that needs the guest.
    pending.catch(() => {
      if (this.agentClient === pending) this.agentClient = undefined;
    });
    return pending;
  }

  async close(): Promise<void> {
    const agent = this.agentClient;
    this.agentClient = undefined;
    if (agent) await agent.then((a) => a.close()).catch(() => undefined);
    await this.qmp.close();
  }
}
