/**
 * The privileged side of the API, shared by the Electron IPC host and the `serve` WebSocket host:
 * it parses every payload against the table's schema, calls the `LayerService`, wraps the outcome
 * in a result envelope, streams progress of long operations to the caller, and numbers the state
 * changes it broadcasts so that replicas can detect a gap.
 */
import { randomUUID } from 'node:crypto';
import type { LayerService, ProgressListener, StateChange } from '../engine/service-api.js';
import { UvmLayersError } from '../engine/errors.js';
import {
  API,
  invokePayload,
  methodByName,
  type ArgsOf,
  type ChangeEvent,
  type MethodName,
  type ProgressEvent,
  type ResultOf,
} from './api.js';
import { errorToJson, fail, ok, type Result } from './result.js';

/** What the embedding process adds to the service: who it is, and native dialogs if it has them. */
export interface HostServices {
  host: 'electron' | 'web';
  version: string;
  pickFolders?: (options: { title?: string; multiple: boolean }) => Promise<string[]>;
}

export interface CallContext {
  /** Receives the steps of a long operation called with a task id. */
  onProgress?: (event: ProgressEvent) => void;
}

export interface ApiHost {
  /** Validates and runs one call; never throws, every failure is an `{ok: false}` envelope. */
  call(method: string, payload: unknown, context?: CallContext): Promise<Result<unknown>>;
  /** Numbered state changes, in order; returns an unsubscribe function. */
  onChange(listener: (event: ChangeEvent) => void): () => void;
  readonly epoch: string;
  close(): void;
}

type Handlers = {
  [M in MethodName]: (
    args: ArgsOf<M>,
    progress: ProgressListener | undefined,
  ) => Promise<ResultOf<M>>;
};

export function createApiHost(service: LayerService, services: HostServices): ApiHost {
  const epoch = randomUUID();
  let revision = 0;
  const listeners = new Set<(event: ChangeEvent) => void>();

  const emit = (change: StateChange): void => {
    revision += 1;
    const event: ChangeEvent = { epoch, revision, change };
    for (const listener of [...listeners]) {
      try {
        listener(event);
      } catch {
        // One broken subscriber (a closed socket, a destroyed window) must not starve the others.
      }
    }
  };
  const unsubscribeService = service.subscribe(emit);

  /**
   * The service reports changes through its store watch; a mutation made here is also announced
   * at once so this process's own windows update without waiting for the watcher.
   */
  const touched = (uvm: string | undefined): void => {
    emit(
      uvm === undefined
        ? { kind: 'host', revision: null }
        : { kind: 'uvm', id: uvm, revision: null },
    );
  };

  const handlers: Handlers = {
    info: () =>
      Promise.resolve({
        host: services.host,
        backend: service.backend,
        stateDir: service.stateDir,
        canPickFolders: services.pickFolders !== undefined,
        version: services.version,
      }),
    snapshot: async () => {
      // Read the revision first: a change racing the listing then arrives as a later event.
      const at = revision;
      const uvms = await service.listUvms();
      return { epoch, revision: at, uvms };
    },
    listUvms: () => service.listUvms(),
    showUvm: (args) => service.showUvm(args.id),
    createUvm: async (args, progress) => {
      try {
        return await service.createUvm(args, progress);
      } finally {
        touched(args.id);
      }
    },
    removeUvm: async (args, progress) => {
      try {
        await service.removeUvm(args, progress);
        return null;
      } finally {
        touched(args.id);
      }
    },
    mount: async (args, progress) => {
      try {
        return await service.mount(args, progress);
      } finally {
        touched(args.uvm);
      }
    },
    unmount: async (args, progress) => {
      try {
        await service.unmount(args, progress);
        return null;
      } finally {
        touched(args.uvm);
      }
    },
    containers: (args) => service.containers(args.uvm),
    log: (args) => service.log(args),
    files: (args) => service.files(args),
    verifyUvm: (args) => service.verifyUvm(args.id),
    pickFolders: (args) => {
      if (!services.pickFolders) {
        return Promise.reject(
          new UvmLayersError(
            'NOT_SUPPORTED',
            'folder dialogs are only available in the desktop app; type the paths',
          ),
        );
      }
      return services.pickFolders(args);
    },
  };

  async function run<M extends MethodName>(
    name: M,
    rawArgs: unknown,
    progress: ProgressListener | undefined,
  ): Promise<ResultOf<M>> {
    const args = API[name].args.parse(rawArgs ?? {}, 'args') as ArgsOf<M>;
    const handler = handlers[name] as (
      a: ArgsOf<M>,
      p: ProgressListener | undefined,
    ) => Promise<ResultOf<M>>;
    return handler(args, progress);
  }

  return {
    epoch,
    async call(methodName, payload, context = {}) {
      const name = methodByName(methodName);
      if (name === undefined) {
        return fail({
          code: 'INVALID_ARGUMENT',
          message: `unknown method ${JSON.stringify(methodName)}`,
        });
      }
      try {
        const { args, taskId } = invokePayload.parse(payload ?? {}, 'payload');
        const progress: ProgressListener | undefined =
          API[name].progress && taskId !== undefined && context.onProgress
            ? (step) => {
                try {
                  context.onProgress?.({ taskId, step });
                } catch {
                  // The caller went away; the operation itself carries on and finishes.
                }
              }
            : undefined;
        return ok(await run(name, args, progress));
      } catch (error) {
        return fail(errorToJson(error));
      }
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close() {
      unsubscribeService();
      listeners.clear();
    },
  };
}
