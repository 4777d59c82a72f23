/**
 * A separate process that mounts a container through the engine and the qemu backend, for the
 * integration test that kills it half-way (as a CLI call killed mid-mount would be).
 * argv: <stateDir> <kernel> <initrd> <MountRequest as JSON>
 */
import { createLayerService } from '../../../engine/service.js';
import type { MountRequest } from '../../../engine/service-api.js';
import { StateStore } from '../../../store/state-store.js';
import { createQemuBackend } from '../qemu-backend.js';

async function main(): Promise<void> {
  const [stateDir = '', kernel = '', initrd = '', request = '{}'] = process.argv.slice(2);
  const store = StateStore.open(stateDir);
  const backend = createQemuBackend({ stateDir, image: { kernel, initrd }, accel: 'tcg' });
  const service = createLayerService(store, backend);
  await service.mount(JSON.parse(request) as MountRequest);
  await service.close();
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error((error as Error).message);
    process.exit(1);
  },
);
