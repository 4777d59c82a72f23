/**
 * Boots the built image in QEMU for tests, with the machine layout of QEMU-NOTES §2 (q35, TCG,
 * virtio-serial agent port, virtio-scsi, spare PCIe root ports, hot-pluggable memory).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { AgentTestClient, type AgentFrame } from '../../../../../native/guest-agent/test-client.js';
import { MiniQmp } from './mini-qmp.js';

export interface BootOptions {
  qemu: string;
  kernel: string;
  initrd: string;
  /** Holds the sockets and console.log; keep the path short (Unix socket paths max 107 bytes). */
  runDir: string;
  /** Devices present from boot (cold-plugged disks). */
  extraArgs?: readonly string[];
  readyTimeoutMs?: number;
}

export interface BootedVm {
  /** The current agent connection (replaced by reconnectAgent). */
  agent: AgentTestClient;
  /** Drops the agent connection and reconnects as a restarted host would; returns the ready event. */
  reconnectAgent(): Promise<AgentFrame>;
  qmp: MiniQmp;
  ready: AgentFrame;
  /** Wall time from spawning QEMU to the agent's ready event. */
  bootMs: number;
  consoleLog: string;
  stop(): Promise<void>;
}

export async function bootUtilityVm(options: BootOptions): Promise<BootedVm> {
  const agentSock = path.join(options.runDir, 'agent.sock');
  const qmpSock = path.join(options.runDir, 'qmp.sock');
  const consoleLog = path.join(options.runDir, 'console.log');
  const args = [
    '-name',
    'uvm-image-test',
    '-machine',
    'q35',
    '-accel',
    'tcg',
    '-smp',
    '2',
    '-m',
    '512M,slots=8,maxmem=8G',
    '-display',
    'none',
    '-monitor',
    'none',
    '-no-reboot',
    '-serial',
    `file:${consoleLog}`,
    '-kernel',
    options.kernel,
    '-initrd',
    options.initrd,
    '-append',
    'console=ttyS0 loglevel=4 panic=-1',
    '-qmp',
    `unix:${qmpSock},server=on,wait=off`,
    '-device',
    'virtio-serial-pci,id=vser0',
    '-chardev',
    `socket,id=agent,path=${agentSock},server=on,wait=off`,
    '-device',
    'virtserialport,bus=vser0.0,chardev=agent,name=agent',
    '-device',
    'virtio-scsi-pci,id=scsi0',
    ...[1, 2, 3, 4].flatMap((n) => ['-device', `pcie-root-port,id=rp${n},chassis=${n},slot=${n}`]),
    ...(options.extraArgs ?? []),
  ];
  const started = Date.now();
  const child: ChildProcess = spawn(options.qemu, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<never>((_, reject) => {
    child.once('exit', (code, signal) =>
      reject(
        new Error(
          `QEMU exited (${code ?? signal}) before the agent was ready: ${stderr.trim()}\n${tail(consoleLog)}`,
        ),
      ),
    );
    child.once('error', reject);
  });
  // Observed through Promise.race below; this keeps a later exit (after stop) from being unhandled.
  exited.catch(() => undefined);
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await gone;
    clearTimeout(timer);
  };
  try {
    const connect = (async () => {
      const agent = await AgentTestClient.connectUnix(agentSock, options.readyTimeoutMs ?? 60_000);
      const ready = await agent.waitForEvent('ready', options.readyTimeoutMs ?? 60_000);
      return { agent, ready };
    })();
    const { agent, ready } = await Promise.race([connect, exited]);
    const bootMs = Date.now() - started;
    const qmp = await Promise.race([MiniQmp.connect(qmpSock), exited]);
    const vm: BootedVm = {
      agent,
      reconnectAgent: async () => {
        vm.agent.close();
        vm.agent = await AgentTestClient.connectUnix(agentSock);
        // The protocol's reconnect handshake: hello is answered with ready, then its response.
        const ready = vm.agent.waitForEvent('ready');
        await vm.agent.call('hello');
        return ready;
      },
      qmp,
      ready,
      bootMs,
      consoleLog,
      stop: async () => {
        vm.agent.close();
        qmp.close();
        await stop();
      },
    };
    return vm;
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The end of the guest console, for failure messages. */
export function tail(file: string, lines = 30): string {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no console output)';
  }
}
