// `npm start` (after `npm run build`): the desktop app. Arguments after `--` go to the app
// (`npm start -- --state-dir /tmp/s --backend sim`). Electron's binary is fetched on first run;
// where it cannot be (offline machines), this says so and runs `uvm-layers serve` instead, which
// serves the same UI to a browser.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureElectronBinary } from './electron-binary.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);

function run(command, commandArgs) {
  const child = spawn(command, commandArgs, { stdio: 'inherit', cwd: root });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 0)));
}

if (!existsSync(path.join(root, 'out', 'main', 'index.js'))) {
  console.error('uvm-layers: not built yet; run `npm run build` first');
  process.exit(1);
}

const electron = ensureElectronBinary(root);
if (electron) {
  run(electron, [path.join(root, 'out', 'main', 'index.js'), ...args]);
} else {
  console.error(
    'uvm-layers: the Electron binary is not installed here and could not be fetched,\n' +
      'so the desktop window cannot open. Serving the same UI to your browser instead (`uvm-layers serve`):',
  );
  // The desktop options (--state-dir, --backend) are the CLI's global options; pass them first.
  run(process.execPath, [path.join(root, 'bin', 'uvm-layers.cjs'), ...args, 'serve']);
}
