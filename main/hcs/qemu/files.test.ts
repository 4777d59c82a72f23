import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listContainerFiles } from './files.js';
import type { AgentEntry } from './agent-client.js';
import { LINUX_UVM, openRig, type Rig } from './testing/rig.js';

let rig: Rig;

beforeEach(async () => {
  rig = openRig();
  await rig.backend.createUtilityVm({ id: 'u1', ...LINUX_UVM });
  await rig.backend.startUtilityVm('u1');
});

afterEach(async () => {
  await rig.close();
});

const file = (name: string, size = 1): AgentEntry => ({ name, type: 'file', size, mode: 0o644 });
const dir = (name: string): AgentEntry => ({ name, type: 'dir', size: 4096, mode: 0o755 });
const whiteout = (name: string): AgentEntry => ({
  name,
  type: 'char',
  size: 0,
  mode: 0o600,
  rdev: [0, 0],
});

const container = {
  rootfs: '/run/gcs/c/1/rootfs',
  layers: [
    { folder: '/layers/base', uvmPath: '/run/layers/p0' },
    { folder: '/layers/mid', uvmPath: '/run/mounts/m1' },
    { folder: '/layers/top', uvmPath: '/run/mounts/m2' },
  ],
  scratch: { uvmPath: '/run/gcs/c/1' },
};

describe('listContainerFiles', () => {
  it('names the layer each merged entry comes from, top-most first, and lists whiteouts', async () => {
    const agent = rig.vm('u1').agent;
    agent.directories.set('/run/gcs/c/1/rootfs/etc', [
      file('base.txt'),
      file('new.txt'),
      file('shadowed.txt', 9),
      dir('sub'),
    ]);
    agent.directories.set('/run/gcs/c/1/upper/etc', [
      file('new.txt'),
      whiteout('gone-in-scratch.txt'),
    ]);
    agent.directories.set('/run/mounts/m2/etc', [
      file('shadowed.txt', 9),
      whiteout('deleted.txt'),
      whiteout('new.txt'),
    ]);
    agent.directories.set('/run/mounts/m1/etc', [
      file('shadowed.txt', 5),
      dir('sub'),
      whiteout('deleted.txt'),
    ]);
    agent.directories.set('/run/layers/p0/etc', [
      file('base.txt'),
      file('deleted.txt'),
      file('gone-in-scratch.txt'),
      file('shadowed.txt', 3),
    ]);
    const views = await listContainerFiles(rig.backend, 'u1', container, '/etc/');
    expect(views).toEqual([
      { name: 'base.txt', type: 'file', size: 1, origin: '/layers/base', whiteout: false },
      { name: 'deleted.txt', type: 'char', size: 0, origin: '/layers/top', whiteout: true },
      { name: 'gone-in-scratch.txt', type: 'char', size: 0, origin: 'scratch', whiteout: true },
      { name: 'new.txt', type: 'file', size: 1, origin: 'scratch', whiteout: false },
      { name: 'shadowed.txt', type: 'file', size: 9, origin: '/layers/top', whiteout: false },
      { name: 'sub', type: 'dir', size: 4096, origin: '/layers/mid', whiteout: false },
    ]);
  });

  it('lists the root, treats layers without the directory as empty, and refuses ..', async () => {
    const agent = rig.vm('u1').agent;
    agent.directories.set('/run/gcs/c/1/rootfs', [dir('etc')]);
    agent.directories.set('/run/layers/p0', [dir('etc')]);
    expect(await listContainerFiles(rig.backend, 'u1', container, '')).toEqual([
      { name: 'etc', type: 'dir', size: 4096, origin: '/layers/base', whiteout: false },
    ]);
    await expect(
      listContainerFiles(rig.backend, 'u1', container, 'etc/../..'),
    ).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });
});
