/** Where the e2e run finds Chromium, Electron, the built app and the CLI. */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');
export const CHROMIUM = process.env.UVM_LAYERS_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
];
export const RENDERER_DIR = path.join(ROOT, 'out', 'renderer');
export const ELECTRON_MAIN = path.join(ROOT, 'out', 'main', 'index.js');
export const SERVE_LAUNCHER = path.join(ROOT, 'out', 'e2e', 'serve.cjs');
export const CLI = path.join(ROOT, 'bin', 'uvm-layers.cjs');
/**
 * Where each run saves its screenshots: test-results/ (ignored) by default, so a test run leaves
 * the tree clean; UVM_LAYERS_SCREENSHOTS=docs/screenshots refreshes the committed ones.
 */
export const SCREENSHOTS = path.resolve(ROOT, process.env.UVM_LAYERS_SCREENSHOTS ?? path.join('test-results', 'screenshots'));

/**
 * The Electron executable, if installed. `require('electron')` would try to download it, so the
 * package's own path file is read instead.
 */
export function electronBinary(): string | undefined {
  const pkg = path.join(ROOT, 'node_modules', 'electron');
  const pathFile = path.join(pkg, 'path.txt');
  if (!existsSync(pathFile)) return undefined;
  const relative = readFileSync(pathFile, 'utf8').trim();
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  const binary = override ? path.join(override, relative) : path.join(pkg, 'dist', relative);
  return existsSync(binary) ? binary : undefined;
}

export const NO_ELECTRON_REASON =
  'Electron binary not installed (node_modules/electron/dist is missing and cannot be downloaded on this machine); ' +
  'the same specs run against `serve` in the web project';
