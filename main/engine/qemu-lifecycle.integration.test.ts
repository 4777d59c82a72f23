/**
 * The service over a real QEMU utility VM: the desktop app's exit stops the VMs it ran (their
 * records stay, marked Stopped), the list then says so, and a stopped VM refuses mounts and can
 * be removed. Skips, saying why, where QEMU or apt-get (for the image) is missing.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createQemuBackend } from '../hcs/qemu/index.js';
import { buildUtilityVmImage, imagePaths } from '../hcs/qemu/image/index.js';
import { StateStore } from '../store/state-store.js';
import { findExecutable } from '../tools/host-tools.js';
import { createLayer, createScratch } from '../tools/index.js';
import { createLayerService } from './service.js';
import type { LayerService } from './service-api.js';
import { tempDir } from './testing/fixtures.js';

const missing = ['qemu-system-x86_64', 'apt-get'].filter(
  (tool) => findExecutable(tool) === undefined,
);
const imageStateDir =
  process.env.UVM_LAYERS_TEST_STATE_DIR ??
  path.resolve(__dirname, '..', '..', '.uvm-layers', 'test-state');
let root: string;

function open(stateDir: string): LayerService {
  const store = StateStore.open(stateDir);
  return createLayerService(
    store,
    createQemuBackend({ stateDir, image: imagePaths(imageStateDir), accel: 'tcg' }),
  );
}

describe.skipIf(missing.length > 0)(
  `qemu utility VMs and the app's lifetime${missing.length ? ` (skipped: ${missing.join(', ')} not installed)` : ''}`,
  () => {
    beforeAll(async () => {
      await buildUtilityVmImage({ stateDir: imageStateDir });
      root = tempDir();
    }, 180_000);

    afterAll(() => {
      fs.rmSync(root, { recursive: true, force: true });
    });

    it('stops the VMs when the app closes; they show Stopped, refuse mounts and can be removed', async () => {
      const state = path.join(root, 'state');
      const first = open(state);
      await first.createUvm({ id: 'q1', os: 'linux', vpmemCount: 1 });
      expect((await first.listUvms()).map((u) => u.state)).toEqual(['Running']);
      await first.close({ stopUtilityVms: true });

      const next = open(state);
      try {
        expect((await next.listUvms()).map((u) => [u.id, u.state])).toEqual([['q1', 'Stopped']]);
        expect((await next.showUvm('q1')).state).toBe('Stopped');
        const src = path.join(root, 'src');
        fs.mkdirSync(src);
        fs.writeFileSync(path.join(src, 'f'), 'x');
        await createLayer(src, path.join(root, 'layer'));
        await createScratch(path.join(root, 'scratch'));
        await expect(
          next.mount({
            uvm: 'q1',
            guestRoot: '/run/gcs/c/a',
            layers: [path.join(root, 'layer')],
            scratch: path.join(root, 'scratch'),
          }),
        ).rejects.toMatchObject({ code: 'HCS_ERROR' });
        await next.removeUvm({ id: 'q1' });
        expect(await next.listUvms()).toEqual([]);
      } finally {
        await next.close();
      }
    }, 120_000);
  },
);
