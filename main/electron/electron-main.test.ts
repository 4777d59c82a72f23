import { EventEmitter } from 'node:events';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { IpcMainInvokeEvent, WebContents } from 'electron';
import { describe, expect, it, vi } from 'vitest';
import { API, EVENTS } from '../ipc/api.js';
import { createApiHost } from '../ipc/host.js';
import { MemoryLayerService } from '../ipc/testing/memory-service.js';
import { serveApiOverIpc } from './ipc-bridge.js';
import { windowOptions } from './main-window.js';
import { parseAppOptions } from './options.js';
import { CONTENT_SECURITY_POLICY, hardenSession, hardenWebContents } from './security.js';
import { isRendererUrl, isTrustedSender, type RendererLocation } from './trust.js';
import { isVisible, loadWindowState, saveWindowState } from './window-bounds.js';

const location: RendererLocation = { kind: 'file', path: '/app/out/renderer/index.html' };
const PAGE = 'file:///app/out/renderer/index.html';

describe('desktop options', () => {
  it('reads --backend, --state-dir and --sim-fail-at in both spellings, ignoring other switches', () => {
    expect(
      parseAppOptions(
        ['.', '--no-sandbox', '--backend', 'sim', '--state-dir=/tmp/s', '--sim-fail-at', '3'],
        {},
      ),
    ).toEqual({
      backend: 'sim',
      stateDir: '/tmp/s',
      simFailAt: 3,
    });
  });
  it('falls back to UVM_LAYERS_STATE_DIR, then to the default', () => {
    expect(parseAppOptions([], { UVM_LAYERS_STATE_DIR: '/e' }).stateDir).toBe('/e');
    expect(parseAppOptions([], {})).toEqual({
      backend: undefined,
      stateDir: undefined,
      simFailAt: undefined,
    });
  });
  it('refuses bad values with one clear line', () => {
    expect(() => parseAppOptions(['--backend', 'vmware'], {})).toThrow(
      '--backend must be one of sim, hcs, qemu (got "vmware")',
    );
    expect(() => parseAppOptions(['--sim-fail-at', '0'], {})).toThrow(/positive whole number/);
  });
});

describe('trusted senders', () => {
  it('accepts only the renderer page, compared parsed', () => {
    expect(isRendererUrl(PAGE, location)).toBe(true);
    expect(isRendererUrl(`${PAGE}#x`, location)).toBe(true);
    expect(isRendererUrl('file:///app/out/renderer/index.html.evil', location)).toBe(false);
    expect(isRendererUrl('file:///app/out/renderer/other.html', location)).toBe(false);
    expect(isRendererUrl('https://example.com/app/out/renderer/index.html', location)).toBe(false);
    expect(isRendererUrl('not a url', location)).toBe(false);
    const dev: RendererLocation = { kind: 'url', url: 'http://localhost:5173' };
    expect(isRendererUrl('http://localhost:5173/index.html', dev)).toBe(true);
    expect(isRendererUrl('http://localhost:5174/', dev)).toBe(false);
    expect(isRendererUrl('http://localhost:5173.evil.com/', dev)).toBe(false);
  });
  it('requires our window, its main frame and our page', () => {
    const ok = { senderId: 7, mainFrame: true, frameUrl: PAGE };
    expect(isTrustedSender(ok, 7, location)).toBe(true);
    expect(isTrustedSender(ok, 8, location)).toBe(false);
    expect(isTrustedSender(ok, undefined, location)).toBe(false);
    expect(isTrustedSender({ ...ok, mainFrame: false }, 7, location)).toBe(false);
    expect(isTrustedSender({ ...ok, frameUrl: 'https://evil.example/' }, 7, location)).toBe(false);
    expect(isTrustedSender({ ...ok, frameUrl: undefined }, 7, location)).toBe(false);
  });
});

describe('window', () => {
  it('is sandboxed, context-isolated, without Node, with our preload', () => {
    const prefs = windowOptions('/app/out/preload/index.js', false).webPreferences;
    expect(prefs).toMatchObject({
      preload: '/app/out/preload/index.js',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      devTools: false,
    });
  });

  it('remembers bounds, and forgets ones that fit no display', () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'bounds-')), 'w.json');
    const screenArea = [{ x: 0, y: 0, width: 1920, height: 1080 }];
    saveWindowState(file, { bounds: { x: 100, y: 80, width: 1200, height: 800 }, maximized: true });
    expect(loadWindowState(file, screenArea)).toEqual({
      bounds: { x: 100, y: 80, width: 1200, height: 800 },
      maximized: true,
    });
    expect(loadWindowState(file, [{ x: 3000, y: 0, width: 1920, height: 1080 }])).toBeUndefined();
    writeFileSync(file, '{"bounds":{"x":0,"y":0,"width":10,"height":10}}');
    expect(loadWindowState(file, screenArea)).toBeUndefined();
    writeFileSync(file, 'garbage');
    expect(loadWindowState(file, screenArea)).toBeUndefined();
    expect(isVisible({ x: -1150, y: 0, width: 1200, height: 800 }, screenArea)).toBe(false);
    expect(readFileSync(file, 'utf8')).toBe('garbage');
  });
});

class FakeContents extends EventEmitter {
  openHandler: (() => { action: string }) | undefined;
  setWindowOpenHandler(handler: () => { action: string }): void {
    this.openHandler = handler;
  }
}

describe('hardening', () => {
  const fire = (contents: FakeContents, name: string, url?: string): boolean => {
    const event = {
      defaultPrevented: false,
      preventDefault: () => (event.defaultPrevented = true),
    };
    contents.emit(name, event, url);
    return event.defaultPrevented;
  };

  it('denies navigation away from the renderer, redirects, webviews and new windows', () => {
    const contents = new FakeContents();
    hardenWebContents(contents as unknown as WebContents, location);
    expect(fire(contents, 'will-navigate', 'https://evil.example/')).toBe(true);
    expect(fire(contents, 'will-navigate', PAGE)).toBe(false);
    expect(fire(contents, 'will-redirect', 'file:///etc/passwd')).toBe(true);
    expect(fire(contents, 'will-attach-webview')).toBe(true);
    expect(contents.openHandler?.()).toEqual({ action: 'deny' });
  });

  it('denies every permission and sets the CSP header', () => {
    const handlers: Record<string, (...args: never[]) => unknown> = {};
    const session = {
      setPermissionRequestHandler: (h: never) => (handlers.request = h),
      setPermissionCheckHandler: (h: never) => (handlers.check = h),
      setDevicePermissionHandler: (h: never) => (handlers.device = h),
      webRequest: { onHeadersReceived: (h: never) => (handlers.headers = h) },
    };
    hardenSession(session as never, { csp: true });
    const granted = vi.fn();
    (handlers.request as (c: unknown, p: string, cb: (ok: boolean) => void) => void)(
      null,
      'media',
      granted,
    );
    expect(granted).toHaveBeenCalledWith(false);
    expect((handlers.check as () => boolean)()).toBe(false);
    expect((handlers.device as () => boolean)()).toBe(false);
    const done = vi.fn();
    (handlers.headers as (d: unknown, cb: (r: unknown) => void) => void)(
      { responseHeaders: { A: ['b'] } },
      done,
    );
    expect(done).toHaveBeenCalledWith({
      responseHeaders: { A: ['b'], 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] },
    });
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe');
  });
});

describe('IPC bridge', () => {
  function setup() {
    const handlers = new Map<string, (event: IpcMainInvokeEvent, payload: unknown) => unknown>();
    const ipcMain = {
      handle: (channel: string, fn: (event: IpcMainInvokeEvent, payload: unknown) => unknown) =>
        handlers.set(channel, fn),
      removeHandler: (channel: string) => handlers.delete(channel),
    };
    const service = new MemoryLayerService();
    const host = createApiHost(service, { host: 'electron', version: 't' });
    const sent: Array<[string, unknown]> = [];
    const mainFrame = { url: PAGE };
    const window = {
      id: 7,
      mainFrame,
      isDestroyed: () => false,
      send: (c: string, p: unknown) => sent.push([c, p]),
    };
    const stop = serveApiOverIpc({
      ipcMain: ipcMain,
      host,
      location,
      target: () => window as unknown as WebContents,
    });
    const event = (overrides: { id?: number; frame?: { url: string } | null } = {}) =>
      ({
        sender: { ...window, id: overrides.id ?? 7 },
        senderFrame: overrides.frame === undefined ? mainFrame : overrides.frame,
      }) as unknown as IpcMainInvokeEvent;
    return { handlers, service, sent, stop, event, mainFrame };
  }

  it('registers one handler per table channel and answers our window', async () => {
    const { handlers, event } = setup();
    expect([...handlers.keys()].sort()).toEqual(
      Object.values(API)
        .map((m) => m.channel)
        .sort(),
    );
    const result = await handlers.get('uvm:create')?.(event(), {
      args: { id: 'u1', os: 'linux' },
      taskId: 't1',
    });
    expect(result).toMatchObject({ ok: true, value: { id: 'u1' } });
  });

  it('streams progress to the caller and changes to the window', async () => {
    const { handlers, event, sent } = setup();
    await handlers.get('uvm:create')?.(event(), { args: { id: 'u1', os: 'linux' }, taskId: 't1' });
    expect(
      sent.some(([c, p]) => c === EVENTS.progress && (p as { taskId: string }).taskId === 't1'),
    ).toBe(true);
    expect(sent.some(([c]) => c === EVENTS.change)).toBe(true);
  });

  it('refuses other windows, subframes and foreign pages before parsing anything', () => {
    const { handlers, event, service } = setup();
    const call = (e: IpcMainInvokeEvent) => () =>
      handlers.get('uvm:create')?.(e, { args: { id: 'x', os: 'linux' } });
    expect(call(event({ id: 8 }))).toThrow(/refused/);
    expect(call(event({ frame: { url: PAGE } }))).toThrow(/refused/);
    expect(call(event({ frame: null }))).toThrow(/refused/);
    return expect(service.listUvms()).resolves.toEqual([]);
  });

  it('validates payloads from our window', async () => {
    const { handlers, event } = setup();
    expect(await handlers.get('uvm:show')?.(event(), { args: { id: 1 } })).toMatchObject({
      ok: false,
      error: { code: 'INVALID_ARGUMENT' },
    });
  });

  it('removes its handlers when stopped', () => {
    const { handlers, stop } = setup();
    stop();
    expect(handlers.size).toBe(0);
  });
});
