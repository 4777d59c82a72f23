// Runs the Playwright e2e specs: builds the app, the CLI and the `serve` launcher first, checks
// for Chromium (the web project fails without it), then runs both projects. Extra arguments go
// to `playwright test` (e.g. `npm run test:e2e -- --project web -g mount`).
// E2E_SKIP_BUILD=1 reuses the current build.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleNode } from './bundle-node.mjs';
import { ensureElectronBinary } from './electron-binary.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);

function run(command, args) {
  const result = spawnSync(command, args, { stdio: 'inherit', shell: false });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

if (process.env.E2E_SKIP_BUILD !== '1') run('npm', ['run', '--silent', 'build']);
await bundleNode({
  entryPoints: ['e2e/support/serve-main.ts'],
  outfile: 'out/e2e/serve.cjs',
});

if (!ensureElectronBinary(root)) {
  console.log(
    'e2e: no Electron binary here (it cannot be downloaded); the electron project is skipped, the web project runs.',
  );
}

const chromium = process.env.UVM_LAYERS_CHROMIUM ?? '/usr/bin/chromium';
if (!existsSync(chromium)) {
  console.error(
    `e2e: Chromium not found at ${chromium}; install it (apt-get install -y chromium). The web project will fail.`,
  );
}
run(process.execPath, [
  path.join('node_modules', '@playwright', 'test', 'cli.js'),
  'test',
  ...process.argv.slice(2),
]);
