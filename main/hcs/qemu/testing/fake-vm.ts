/**
 * A QemuHost whose "QEMU" is a FakeQmp plus a FakeAgent on the run dir's sockets: the backend's
 * real code (sockets, state.json, reattach) runs unchanged, without a hypervisor.
 */
import type { LaunchSpec } from '../qemu-command.js';
import { qemuArgs } from '../qemu-command.js';
import type { QemuHost } from '../qemu-process.js';
import type { RunFiles } from '../run-files.js';
import { FakeAgent } from './fake-agent.js';
import { FakeQmp } from './fake-qmp.js';

export interface FakeVm {
  pid: number;
  spec: LaunchSpec;
  argv: string[];
  qmp: FakeQmp;
  agent: FakeAgent;
}

export class FakeQemuHost implements QemuHost {
  readonly vms = new Map<number, FakeVm>();
  private nextPid = 4_000_000;
  /** Makes launch produce a VM whose agent never answers (a hung boot). */
  hangBoot = false;

  async launch(spec: LaunchSpec): Promise<number> {
    const pid = this.nextPid++;
    const qmp = await FakeQmp.start(spec.files.qmp, {
      rootPorts: spec.layout.rootPorts,
      deviceMemory: {
        base: 4 * 1024 ** 3,
        size: Math.max(spec.layout.pmemWindow.size, 1) + 8 * 1024 ** 3,
      },
    });
    const agent = await FakeAgent.start(spec.files.agent, qmp);
    if (this.hangBoot) agent.delayMs = 3_600_000;
    const vm: FakeVm = { pid, spec, argv: qemuArgs(spec), qmp, agent };
    qmp.onQuit = () => void this.exit(pid);
    this.vms.set(pid, vm);
    return pid;
  }

  isRunning(pid: number, files: RunFiles): boolean {
    const vm = this.vms.get(pid);
    return vm !== undefined && vm.spec.files.qmp === files.qmp;
  }

  kill(pid: number): void {
    void this.exit(pid);
  }

  /** The one VM started for `id` (the latest, if it was restarted). */
  vm(id: string): FakeVm {
    const found = [...this.vms.values()].filter((v) => v.spec.id === id).pop();
    if (!found) throw new Error(`no fake VM for ${id}`);
    return found;
  }

  /** The VM process dies (crash, kill -9 from outside). */
  async exit(pid: number): Promise<void> {
    const vm = this.vms.get(pid);
    if (!vm) return;
    this.vms.delete(pid);
    await vm.qmp.stop();
    await vm.agent.stop();
  }

  async stopAll(): Promise<void> {
    for (const pid of [...this.vms.keys()]) await this.exit(pid);
  }
}
