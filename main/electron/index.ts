/**
 * Electron main: the composition root. Builds, by hand and in order, the pieces the window needs:
 * options, the layer service (store + engine + backend), the API host with native dialogs, the
 * IPC bridge, the hardened session and the window. One instance per user: a second launch
 * focuses the first.
 */
import path from 'node:path';
import { BrowserWindow, Menu, app, dialog, ipcMain, screen, session } from 'electron';
import type { LayerService } from '../engine/service-api.js';
import { openLayerService } from '../engine/service.js';
import { defaultBackend } from '../engine/backends.js';
import { defaultStateDir } from '../engine/state-dir.js';
import { createApiHost, type ApiHost } from '../ipc/host.js';
import { pickFolders } from './dialogs.js';
import { serveApiOverIpc } from './ipc-bridge.js';
import { createMainWindow } from './main-window.js';
import { parseAppOptions } from './options.js';
import { hardenApp, hardenSession } from './security.js';
import type { RendererLocation } from './trust.js';

function rendererLocation(): RendererLocation {
  const devUrl = process.env.ELECTRON_RENDERER_URL;
  if (!app.isPackaged && devUrl) return { kind: 'url', url: devUrl };
  return { kind: 'file', path: path.join(__dirname, '../renderer/index.html') };
}

function fail(message: string): never {
  process.stderr.write(`uvm-layers: ${message}\n`);
  dialog.showErrorBox('uvm-layers', message);
  app.exit(1);
  throw new Error(message);
}

async function main(): Promise<void> {
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }
  app.enableSandbox();
  const location = rendererLocation();
  hardenApp(app, location);

  let options;
  try {
    options = parseAppOptions(process.argv.slice(1));
  } catch (error) {
    await app.whenReady();
    fail(error instanceof Error ? error.message : String(error));
  }

  await app.whenReady();
  hardenSession(session.defaultSession, { csp: location.kind === 'file' });
  if (process.platform !== 'darwin') Menu.setApplicationMenu(null);

  let service: LayerService;
  try {
    service = await openLayerService({
      stateDir: options.stateDir ?? defaultStateDir(),
      backend: options.backend ?? (await defaultBackend()),
      ...(options.simFailAt === undefined ? {} : { simFailAt: options.simFailAt }),
    });
  } catch (error) {
    fail(`cannot open the state: ${error instanceof Error ? error.message : String(error)}`);
  }

  let window: BrowserWindow | undefined;
  const host: ApiHost = createApiHost(service, {
    host: 'electron',
    version: app.getVersion(),
    pickFolders: (request) => pickFolders(dialog, window, request),
  });
  const stopIpc = serveApiOverIpc({ ipcMain, host, location, target: () => window?.webContents });

  const open = (): void => {
    window = createMainWindow({
      BrowserWindow,
      screen,
      preloadPath: path.join(__dirname, '../preload/index.js'),
      location,
      boundsFile: path.join(app.getPath('userData'), 'window-state.json'),
      devTools: !app.isPackaged,
    });
    window.on('closed', () => (window = undefined));
  };
  open();

  app.on('second-instance', () => {
    if (!window) return open();
    if (window.isMinimized()) window.restore();
    window.focus();
  });
  app.on('activate', () => {
    if (!window) open();
  });
  app.on('window-all-closed', () => app.quit());
  let closing = false;
  app.on('will-quit', (event) => {
    if (closing) return;
    closing = true;
    event.preventDefault();
    stopIpc();
    host.close();
    // The desktop app owns the QEMU utility VMs it ran: they stop with it (CLI calls leave them).
    void service.close({ stopUtilityVms: true }).finally(() => app.exit(0));
  });
}

void main();
