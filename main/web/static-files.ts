/**
 * Serves the built renderer from one folder: only files inside it, with fixed content types; the
 * page itself gets the bridge script added ahead of the renderer so it finds `window.uvmLayers`.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { BRIDGE_SCRIPT } from './protocol.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json; charset=utf-8',
};

export interface StaticFile {
  body: Buffer;
  contentType: string;
}

/** Adds the bridge module before the first script of the page (modules run in document order). */
export function injectBridge(html: string): string {
  const tag = `<script type="module" src="${BRIDGE_SCRIPT}"></script>`;
  const at = html.search(/<script\b/i);
  if (at >= 0) return `${html.slice(0, at)}${tag}\n    ${html.slice(at)}`;
  return html.replace(/<\/head>/i, `${tag}</head>`);
}

/** Resolves a URL path to a file inside `root`, or undefined for anything outside or missing. */
export async function loadStatic(root: string, urlPath: string): Promise<StaticFile | undefined> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0')) return undefined;
  const relative = decoded === '/' || decoded === '' ? 'index.html' : decoded.replace(/^\/+/, '');
  const base = path.resolve(root);
  const file = path.resolve(base, relative);
  if (file !== base && !file.startsWith(base + path.sep)) return undefined;
  const type = TYPES[path.extname(file).toLowerCase()];
  if (type === undefined) return undefined;
  try {
    if (!(await stat(file)).isFile()) return undefined;
    const body = await readFile(file);
    if (relative === 'index.html')
      return { body: Buffer.from(injectBridge(body.toString('utf8'))), contentType: type };
    return { body, contentType: type };
  } catch {
    return undefined;
  }
}
