/**
 * One browser connection to `serve`: calls in, results, progress and numbered change events out.
 */
import type { WebSocket } from 'ws';
import { EVENTS, methodByChannel } from '../ipc/api.js';
import type { ApiHost } from '../ipc/host.js';
import { fail } from '../ipc/result.js';
import type { ServerMessage } from './protocol.js';

/** A socket that falls this far behind is dropped; its page reconnects and refetches. */
const MAX_BUFFERED_BYTES = 32 * 1024 * 1024;

export function attachSession(socket: WebSocket, host: ApiHost): void {
  const send = (message: ServerMessage): void => {
    if (socket.readyState !== socket.OPEN) return;
    if (socket.bufferedAmount > MAX_BUFFERED_BYTES) {
      socket.close(1013, 'client too slow');
      return;
    }
    socket.send(JSON.stringify(message));
  };
  const stop = host.onChange((event) =>
    send({ type: 'event', channel: EVENTS.change, payload: event }),
  );
  socket.on('close', stop);
  socket.on('error', stop);

  socket.on('message', (data, isBinary) => {
    if (isBinary) {
      socket.close(1003, 'text frames only');
      return;
    }
    let message: unknown;
    try {
      const text = Array.isArray(data)
        ? Buffer.concat(data)
        : Buffer.isBuffer(data)
          ? data
          : Buffer.from(data);
      message = JSON.parse(text.toString('utf8')) as unknown;
    } catch {
      socket.close(1007, 'invalid JSON');
      return;
    }
    const m = message as {
      type?: unknown;
      id?: unknown;
      channel?: unknown;
      payload?: unknown;
    } | null;
    if (m === null || typeof m !== 'object' || m.type !== 'call' || !Number.isSafeInteger(m.id)) {
      socket.close(1008, 'not a call');
      return;
    }
    const id = m.id as number;
    const method = typeof m.channel === 'string' ? methodByChannel(m.channel) : undefined;
    if (method === undefined) {
      send({
        type: 'result',
        id,
        result: fail({
          code: 'INVALID_ARGUMENT',
          message: `unknown channel ${JSON.stringify(m.channel)}`,
        }),
      });
      return;
    }
    void host
      .call(method, m.payload, {
        onProgress: (event) => send({ type: 'event', channel: EVENTS.progress, payload: event }),
      })
      .then((result) => send({ type: 'result', id, result }));
  });
}
