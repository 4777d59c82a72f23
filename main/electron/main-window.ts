/**
 * The one window: sandboxed, context-isolated renderer without Node, our preload only, bounds
 * remembered between runs.
 */
import type {
  BrowserWindow as BrowserWindowClass,
  BrowserWindowConstructorOptions,
  Screen,
} from 'electron';
import { DEFAULT_SIZE, loadWindowState, saveWindowState } from './window-bounds.js';
import type { RendererLocation } from './trust.js';

export interface MainWindowOptions {
  BrowserWindow: typeof BrowserWindowClass;
  screen: Pick<Screen, 'getAllDisplays'>;
  preloadPath: string;
  location: RendererLocation;
  boundsFile: string;
  devTools: boolean;
}

export function windowOptions(
  preloadPath: string,
  devTools: boolean,
): BrowserWindowConstructorOptions {
  return {
    ...DEFAULT_SIZE,
    minWidth: 720,
    minHeight: 480,
    show: false,
    title: 'uvm-layers',
    backgroundColor: '#0f1419',
    autoHideMenuBar: true,
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      devTools,
    },
  };
}

export function createMainWindow(options: MainWindowOptions): BrowserWindowClass {
  const workAreas = options.screen.getAllDisplays().map((d) => d.workArea);
  const saved = loadWindowState(options.boundsFile, workAreas);
  const window = new options.BrowserWindow({
    ...windowOptions(options.preloadPath, options.devTools),
    ...(saved ? saved.bounds : {}),
  });
  if (saved?.maximized) window.maximize();
  window.once('ready-to-show', () => window.show());

  let timer: NodeJS.Timeout | undefined;
  const remember = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      if (window.isDestroyed() || window.isMinimized()) return;
      saveWindowState(options.boundsFile, {
        bounds: window.getNormalBounds(),
        maximized: window.isMaximized(),
      });
    }, 400);
  };
  window.on('resize', remember);
  window.on('move', remember);
  window.on('close', () => {
    clearTimeout(timer);
    if (!window.isMinimized()) {
      saveWindowState(options.boundsFile, {
        bounds: window.getNormalBounds(),
        maximized: window.isMaximized(),
      });
    }
  });

  if (options.location.kind === 'file') void window.loadFile(options.location.path);
  else void window.loadURL(options.location.url);
  return window;
}
