/**
 * Who may talk to `serve`: a request must name our loopback host and port (DNS rebinding),
 * come from our own origin if it says where it comes from (cross-site pages), and carry the
 * random token printed in the URL, either as `?token=` or as the cookie set when the page with
 * the token was loaded.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export type AccessDecision =
  { allowed: true; viaQuery: boolean } | { allowed: false; status: 401 | 403; reason: string };

export function cookieName(port: number): string {
  // Cookies ignore ports: name it per port so two servers on one host do not clash.
  return `uvm_layers_${port}`;
}

function sameToken(candidate: string, token: string): boolean {
  const a = Buffer.from(candidate);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export function allowedOrigins(port: number): string[] {
  return [`http://127.0.0.1:${port}`, `http://localhost:${port}`];
}

/**
 * Decides whether a request (page, asset or socket upgrade) may proceed. `requireOrigin` is set
 * for socket upgrades: browsers always send an Origin there, and only ours is accepted.
 */
export function checkAccess(
  request: IncomingMessage,
  options: { port: number; token: string; requireOrigin: boolean },
): AccessDecision {
  const { port, token } = options;
  const host = request.headers.host;
  if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) {
    return { allowed: false, status: 403, reason: `foreign Host ${JSON.stringify(host ?? '')}` };
  }
  const origin = request.headers.origin;
  if (origin !== undefined ? !allowedOrigins(port).includes(origin) : options.requireOrigin) {
    return {
      allowed: false,
      status: 403,
      reason: `foreign Origin ${JSON.stringify(origin ?? '')}`,
    };
  }
  // Sec-Fetch-Site is sent by every current browser; anything but our own origin is refused.
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    return { allowed: false, status: 403, reason: `cross-site request (${String(site)})` };
  }
  const url = new URL(request.url ?? '/', `http://127.0.0.1:${port}`);
  const fromQuery = url.searchParams.get('token');
  const candidate = fromQuery ?? readCookie(request.headers.cookie, cookieName(port));
  if (candidate === undefined || candidate === '') {
    return { allowed: false, status: 401, reason: 'missing access token' };
  }
  if (!sameToken(candidate, token))
    return { allowed: false, status: 403, reason: 'wrong access token' };
  return { allowed: true, viaQuery: fromQuery !== null };
}
