/** Joins an API client to an API host in one process, through JSON, as the WebSocket bridge does. */
import { EVENTS, methodByChannel } from '../api.js';
import type { ApiTransport } from '../client.js';
import type { ApiHost } from '../host.js';

const roundTrip = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

export function pipeTransport(host: ApiHost): ApiTransport {
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  const deliver = (channel: string, payload: unknown): void => {
    for (const listener of [...(listeners.get(channel) ?? [])]) listener(roundTrip(payload));
  };
  host.onChange((event) => deliver(EVENTS.change, event));
  return {
    async invoke(channel, payload) {
      const result = await host.call(methodByChannel(channel) ?? channel, roundTrip(payload), {
        onProgress: (event) => deliver(EVENTS.progress, event),
      });
      return roundTrip(result);
    },
    on(channel, listener) {
      const set = listeners.get(channel) ?? new Set();
      listeners.set(channel, set);
      set.add(listener);
      return () => set.delete(listener);
    },
  };
}
