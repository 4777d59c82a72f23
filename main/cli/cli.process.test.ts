/**
 * The CLI as separate processes: eight concurrent mounts sharing a base layer, and a process
 * killed with SIGKILL in the middle of a mount, recovered by the next command.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { UvmView } from '../engine/views.js';
import { makeLayer, makeScratch, tempDir } from '../engine/testing/fixtures.js';
import { cliBundle, runCli, runCliAsync, startCli } from './testing/cli-process.js';

beforeAll(() => {
  cliBundle();
});

/** Runs the CLI until the test hook pauses it after its `n`-th request, then SIGKILLs it there. */
async function killAfterRequest(state: string, args: string[], n: number): Promise<void> {
  const child = startCli(state, args, { UVM_LAYERS_TEST_PAUSE_AFTER_REQUEST: String(n) });
  await new Promise<void>((resolve, reject) => {
    let err = '';
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes(`paused after request ${n}`)) resolve();
    });
    child.on('exit', () => reject(new Error(`the CLI exited before pausing: ${err}`)));
  });
  child.kill('SIGKILL');
  await new Promise((resolve) => child.on('exit', resolve));
}

describe('CLI processes sharing one state folder', () => {
  it('eight processes mounting containers that share a base layer all succeed', async () => {
    const root = tempDir();
    const state = path.join(root, 'state');
    expect(
      runCli(state, ['uvm', 'create', 'u1', '--os', 'linux', '--vpmem-count', '4']).status,
    ).toBe(0);
    const base = makeLayer(root, 'base');
    const mounts = Array.from({ length: 8 }, (_, i) =>
      runCliAsync(state, [
        'mount',
        '--uvm',
        'u1',
        '--guest-root',
        `/run/gcs/c/c${i}`,
        '--json',
        base,
        makeLayer(root, `app${i}`),
        makeScratch(root, `scratch${i}`),
      ]),
    );
    const results = await Promise.all(mounts);
    for (const [i, r] of results.entries()) {
      expect(r.stderr, `process ${i}`).toBe('');
      expect(r.status).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual({ rootfs: `/run/gcs/c/c${i}/rootfs` });
    }
    const view = JSON.parse(runCli(state, ['uvm', 'show', 'u1', '--json']).stdout) as UvmView;
    const baseDevice = view.vpmem.find((d) => d.hostPath === path.join(base, 'layer.vhd'));
    expect(baseDevice?.refCount).toBe(8);
    const slots = view.scsi.map((s) => `${s.controller}:${s.lun}`);
    expect(new Set(slots).size).toBe(slots.length);
    expect(view.vpmem.map((d) => d.device)).toEqual([0, 1, 2, 3]);
    expect(view.scsi).toHaveLength(8 + 5); // 8 scratches + the app layers that fell back to SCSI
    expect(view.combinedLayers).toHaveLength(8);
  }, 60_000);

  it('a mount killed between two requests leaves an intent that the next command rolls back', async () => {
    const root = tempDir();
    const state = path.join(root, 'state');
    expect(runCli(state, ['uvm', 'create', 'u1', '--os', 'linux']).status).toBe(0);
    const folders = [makeLayer(root, 'base'), makeLayer(root, 'app'), makeScratch(root, 'scratch')];
    await killAfterRequest(
      state,
      ['mount', '--uvm', 'u1', '--guest-root', '/run/gcs/c/a', ...folders],
      2,
    );

    const intents = (): string[] =>
      fs
        .readdirSync(path.join(state, 'intents'), { recursive: true, encoding: 'utf8' })
        .filter((f) => f.endsWith('.json'));
    expect(intents()).toEqual(['uvm/u1.json']);

    const shown = runCli(state, ['uvm', 'show', 'u1', '--json']);
    expect(shown.status).toBe(0);
    const view = JSON.parse(shown.stdout) as UvmView;
    expect([view.scsi, view.vpmem, view.combinedLayers]).toEqual([[], [], []]);
    const log = runCli(state, ['log', '--json'])
      .stdout.trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { request: { ResourcePath?: string; RequestType?: string } });
    const removes = log
      .filter((e) => e.request.RequestType === 'Remove')
      .map((e) => e.request.ResourcePath);
    expect(removes).toEqual([
      'VirtualMachine/Devices/VirtualPMem/Devices/1',
      'VirtualMachine/Devices/VirtualPMem/Devices/0',
    ]);
    expect(intents()).toEqual([]);
    // The same mount now works, on the same devices.
    const again = runCli(state, [
      'mount',
      '--uvm',
      'u1',
      '--guest-root',
      '/run/gcs/c/a',
      '--json',
      ...folders,
    ]);
    expect(again.status).toBe(0);
    expect(runCli(state, ['containers', '--json']).stdout).toContain('/run/gcs/c/a/rootfs');
  }, 60_000);

  it('an unmount killed between two requests is rolled back: the container is whole again', async () => {
    const root = tempDir();
    const state = path.join(root, 'state');
    expect(runCli(state, ['uvm', 'create', 'u1', '--os', 'linux']).status).toBe(0);
    const folders = [makeLayer(root, 'base'), makeScratch(root, 'scratch')];
    expect(
      runCli(state, ['mount', '--uvm', 'u1', '--guest-root', '/run/gcs/c/a', ...folders]).status,
    ).toBe(0);
    const before = runCli(state, ['uvm', 'show', 'u1', '--json']).stdout;
    await killAfterRequest(state, ['unmount', '--uvm', 'u1', '--guest-root', '/run/gcs/c/a'], 2);
    expect(runCli(state, ['uvm', 'show', 'u1', '--json']).stdout).toBe(before);
    expect(runCli(state, ['unmount', '--uvm', 'u1', '--guest-root', '/run/gcs/c/a']).status).toBe(
      0,
    );
    const after = JSON.parse(runCli(state, ['uvm', 'show', 'u1', '--json']).stdout) as UvmView;
    expect([after.scsi, after.vpmem, after.combinedLayers]).toEqual([[], [], []]);
  }, 60_000);
});
