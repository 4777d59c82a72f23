/**
 * The e2e (and benchmark) launcher for `serve`: opens the service on a state directory and starts
 * the web server, without depending on the CLI. Prints one JSON line `{url, token, port}` on
 * stdout when ready; exits cleanly on SIGTERM/SIGINT.
 *
 *   node out/e2e/serve.cjs --state-dir DIR [--renderer DIR] [--sim-fail-at N] [--port N]
 *                          [--memory-qemu]
 *
 * `--memory-qemu` serves the in-memory service emulating the qemu backend (files with their
 * layers, read-back, parked vPMEM) instead of the engine: the qemu-only UI without booting a VM.
 */
import path from 'node:path';
import type { LayerService } from '../../main/engine/service-api.js';
import { openLayerService } from '../../main/engine/service.js';
import { MemoryLayerService } from '../../main/ipc/testing/memory-service.js';
import { startWebServer } from '../../main/web/server.js';

function option(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : undefined;
}

async function main(): Promise<void> {
  const stateDir = option('state-dir');
  if (!stateDir) throw new Error('--state-dir is required');
  const failAt = option('sim-fail-at');
  const service: LayerService = process.argv.includes('--memory-qemu')
    ? new MemoryLayerService({
        backend: 'qemu',
        stateDir: path.resolve(stateDir),
        ...(failAt ? { failAt: Number(failAt) } : {}),
      })
    : await openLayerService({
        stateDir: path.resolve(stateDir),
        backend: 'sim',
        ...(failAt ? { simFailAt: Number(failAt) } : {}),
      });
  const port = option('port');
  const server = await startWebServer(service, {
    rendererDir: path.resolve(option('renderer') ?? 'out/renderer'),
    ...(port ? { port: Number(port) } : {}),
    version: 'e2e',
  });
  process.stdout.write(
    `${JSON.stringify({ url: server.url, token: server.token, port: server.port })}\n`,
  );
  const stop = (): void => {
    void server
      .close()
      .then(() => service.close())
      .finally(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `serve launcher: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
