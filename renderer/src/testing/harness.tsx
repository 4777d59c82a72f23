/**
 * Test harness: the renderer's services over the real API client and host, backed by the
 * in-memory service, so component tests exercise the same path as the app.
 */
import { act, render, type RenderResult } from '@testing-library/react';
import type { ReactNode } from 'react';
import { createApiClient } from '../../../main/ipc/client.js';
import { createApiHost, type ApiHost } from '../../../main/ipc/host.js';
import {
  MemoryLayerService,
  type MemoryServiceOptions,
} from '../../../main/ipc/testing/memory-service.js';
import { pipeTransport } from '../../../main/ipc/testing/pipe.js';
import { AppProvider, createAppServices, type AppServices } from '../app-context.js';

/** jsdom lacks a few browser APIs the UI uses; these stand-ins are enough for tests. */
export function installDomShims(): void {
  const g = globalThis as Record<string, unknown>;
  g.ResizeObserver ??= class {
    observe(): void {}
    unobserve(): void {}
    disconnect(): void {}
  };
  g.matchMedia ??= (query: string) => ({
    matches: false,
    media: query,
    addEventListener: () => undefined,
    removeEventListener: () => undefined,
  });
  const proto = HTMLDialogElement.prototype as Partial<HTMLDialogElement>;
  proto.showModal ??= function (this: HTMLDialogElement) {
    this.setAttribute('open', '');
  };
  proto.close ??= function (this: HTMLDialogElement) {
    this.removeAttribute('open');
  };
}

export interface Harness {
  service: MemoryLayerService;
  host: ApiHost;
  services: AppServices;
  /** Waits until every refetch has landed, flushing React updates. */
  settle(): Promise<void>;
  mount(ui: ReactNode): RenderResult;
  close(): void;
}

export async function createHarness(options: MemoryServiceOptions = {}): Promise<Harness> {
  installDomShims();
  const service = new MemoryLayerService(options);
  const host = createApiHost(service, { host: 'web', version: 'test' });
  // Read-backs follow change events at once here; the app waits for a quiet moment.
  const services = createAppServices(createApiClient(pipeTransport(host)), {
    sync: { verifyDelayMs: 0 },
  });
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 5; i += 1) {
      await act(async () => {
        await services.sync.idle();
        await new Promise((resolve) => setTimeout(resolve, 0));
      });
    }
  };
  await services.sync.start();
  return {
    service,
    host,
    services,
    settle,
    mount: (ui) => render(<AppProvider services={services}>{ui}</AppProvider>),
    close: () => {
      services.sync.stop();
      host.close();
    },
  };
}
