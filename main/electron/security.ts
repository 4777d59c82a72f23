/**
 * Hardening that applies to every web contents the app ever creates: no navigation away from the
 * renderer, no new windows, no <webview>, every permission request denied, and a strict CSP
 * header on anything served over HTTP (the dev server); the built page carries the same policy in
 * its meta tag.
 */
import type { App, Session, WebContents } from 'electron';
import { isRendererUrl, type RendererLocation } from './trust.js';

export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; " +
  "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export function hardenWebContents(contents: WebContents, location: RendererLocation): void {
  contents.on('will-navigate', (event, url) => {
    if (!isRendererUrl(url, location)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!isRendererUrl(url, location)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
}

/** `csp` is off only for the dev server, whose hot-reload preamble is an inline script. */
export function hardenSession(session: Session, options: { csp: boolean }): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  session.setDevicePermissionHandler(() => false);
  if (!options.csp) return;
  session.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: {
        ...details.responseHeaders,
        'Content-Security-Policy': [CONTENT_SECURITY_POLICY],
      },
    });
  });
}

/** Installs the hardening for every web contents, present and future. */
export function hardenApp(app: App, location: RendererLocation): void {
  app.on('web-contents-created', (_event, contents) => hardenWebContents(contents, location));
}
