/**
 * Connecting to a QEMU chardev socket (QMP or the agent). QEMU serves one client per socket and
 * leaves later ones waiting in the listen backlog; a full backlog answers EAGAIN, and a socket
 * that QEMU has not created yet answers ENOENT/ECONNREFUSED. All three mean "try again shortly",
 * until the caller's deadline.
 */
import * as net from 'node:net';
import { UvmLayersError } from '../../engine/errors.js';

const RETRYABLE = new Set(['ENOENT', 'ECONNREFUSED', 'EAGAIN']);

/** Connects to `path`, retrying while the socket is absent, refused or busy, until `deadline`. */
export async function connectUnix(
  path: string,
  deadline: number,
  what: string,
): Promise<net.Socket> {
  let delay = 10;
  for (;;) {
    try {
      return await connectOnce(path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? '';
      if (!RETRYABLE.has(code)) {
        throw new UvmLayersError(
          'BACKEND_UNAVAILABLE',
          `cannot connect to ${what} at ${path}: ${(error as Error).message}`,
        );
      }
      if (Date.now() + delay > deadline) {
        throw new UvmLayersError(
          'TIMEOUT',
          `timed out connecting to ${what} at ${path} (${code}: ${
            code === 'EAGAIN' ? 'other clients hold it' : 'nobody is listening'
          })`,
        );
      }
      await sleep(delay);
      delay = Math.min(delay * 2, 200);
    }
  }
}

function connectOnce(path: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection(path);
    const onError = (error: Error): void => {
      socket.destroy();
      reject(error);
    };
    socket.once('error', onError);
    socket.once('connect', () => {
      socket.off('error', onError);
      resolve(socket);
    });
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Ends our side and waits for the peer to close; a peer that never closes its side must not hold us. */
export function endGracefully(socket: net.Socket, graceMs = 1000): Promise<void> {
  return new Promise<void>((resolve) => {
    socket.once('close', () => resolve());
    socket.end();
    setTimeout(() => {
      socket.destroy();
      resolve();
    }, graceMs).unref();
  });
}
