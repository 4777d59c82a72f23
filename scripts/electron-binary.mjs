// Finds Electron's binary without triggering a download, and fetches it once when asked.
// Electron 42+ installs no binary with `npm ci`; it downloads on first use. Where nothing can be
// downloaded (offline machines, our CI) the fetch fails within a second and callers fall back.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** The installed binary, read the way the `electron` package does (path.txt → dist/). */
export function electronBinary(root) {
  const pkg = path.join(root, 'node_modules', 'electron');
  const pathFile = path.join(pkg, 'path.txt');
  if (!existsSync(pathFile)) return undefined;
  const dist = process.env.ELECTRON_OVERRIDE_DIST_PATH ?? path.join(pkg, 'dist');
  const binary = path.join(dist, readFileSync(pathFile, 'utf8').trim());
  return existsSync(binary) ? binary : undefined;
}

/** The binary, downloading it with Electron's own installer first if it is missing. */
export function ensureElectronBinary(root) {
  const found = electronBinary(root);
  if (found || process.env.UVM_LAYERS_NO_ELECTRON_DOWNLOAD === '1') return found;
  const installer = path.join(root, 'node_modules', 'electron', 'install.js');
  if (!existsSync(installer)) return undefined;
  console.error('uvm-layers: fetching the Electron binary (first run)...');
  const result = spawnSync(process.execPath, [installer], {
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: 15 * 60_000,
  });
  if (result.status !== 0) {
    const reason =
      String(result.stderr ?? '')
        .split('\n')
        .find((line) => line.trim() !== '') ?? 'no reason given';
    console.error(`uvm-layers: could not fetch the Electron binary (${reason.trim()})`);
  }
  return electronBinary(root);
}
