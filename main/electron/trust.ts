/**
 * Which page may use the API: exactly our renderer, in the main frame of our window. URLs are
 * compared parsed (scheme, host, path), never by prefix.
 */

/** Where the renderer is loaded from: the built file, or the dev server during `electron-vite dev`. */
export type RendererLocation = { kind: 'file'; path: string } | { kind: 'url'; url: string };

export function isRendererUrl(candidate: string, location: RendererLocation): boolean {
  let url: URL;
  try {
    url = new URL(candidate);
  } catch {
    return false;
  }
  if (location.kind === 'file') {
    const expected = new URL(
      `file://${location.path.startsWith('/') ? '' : '/'}${location.path.replaceAll('\\', '/')}`,
    );
    return (
      url.protocol === 'file:' &&
      url.host === '' &&
      decodeURIComponent(url.pathname) === decodeURIComponent(expected.pathname)
    );
  }
  const expected = new URL(location.url);
  return url.protocol === expected.protocol && url.host === expected.host;
}

/** The facts of an IPC message that decide whether to serve it. */
export interface SenderFacts {
  senderId: number;
  /** Whether the message came from the main frame (not an iframe). */
  mainFrame: boolean;
  frameUrl: string | undefined;
}

export function isTrustedSender(
  facts: SenderFacts,
  windowId: number | undefined,
  location: RendererLocation,
): boolean {
  return (
    windowId !== undefined &&
    facts.senderId === windowId &&
    facts.mainFrame &&
    facts.frameUrl !== undefined &&
    isRendererUrl(facts.frameUrl, location)
  );
}
