/**
 * The channel every request of one operation goes through. Before a request leaves, the intent
 * journal records it with the request that undoes it (written atomically, so a process killed
 * mid-operation leaves a complete account behind); afterwards the request log gets a line and
 * the progress listener a step. A request equal to the undo of an earlier one is that request's
 * rollback and is recorded as such rather than as new work.
 */
import type { HcsBackend } from '../hcs/backend.js';
import type { ModifySettingRequest } from '../hcs/schema.js';
import type { StateStore } from '../store/state-store.js';
import { execute, logRequest, type BackendCall } from './backend-call.js';
import { toUvmLayersError, withContext, type UvmLayersError } from './errors.js';
import type { HostLayerSender, WcLayerCall } from './host-mount.js';
import type { OperationStep, ProgressListener } from './service-api.js';
import type { RequestSender } from './uvm/request-sender.js';

export type OperationKind = 'create-uvm' | 'remove-uvm' | 'mount' | 'unmount';

export interface JournalEntry {
  request: BackendCall;
  undo: BackendCall | null;
  /** `sent`: went out (the last one may not have landed); `undoing`: its undo went out. */
  status: 'sent' | 'failed' | 'undoing' | 'undone';
}

export interface Intent {
  opId: string;
  op: OperationKind;
  /** Store key of the record the operation changes: `uvm/<id>` or `host`. */
  key: string;
  pid: number;
  startedAt: string;
  entries: JournalEntry[];
}

/** Test hook: pause forever after the N-th journaled request, so a test can SIGKILL us there. */
const PAUSE_AFTER = Number(process.env.UVM_LAYERS_TEST_PAUSE_AFTER_REQUEST ?? 0);
let journaledInProcess = 0;

export class OperationJournal implements RequestSender, HostLayerSender {
  private readonly intent: Intent;
  /** JSON of each entry's undo, computed once: rollback steps are found by it. */
  private readonly undoKeys = new Map<JournalEntry, string>();
  private written = false;
  private stepIndex = 0;

  constructor(
    private readonly store: StateStore,
    private readonly backend: HcsBackend,
    private readonly uvm: string | null,
    op: OperationKind,
    key: string,
    opId: string,
    private readonly progress?: ProgressListener,
  ) {
    this.intent = {
      opId,
      op,
      key,
      pid: process.pid,
      startedAt: new Date().toISOString(),
      entries: [],
    };
  }

  get opId(): string {
    return this.intent.opId;
  }

  /** True once the journal has been written (the commit must then clear it). */
  get hasIntent(): boolean {
    return this.written;
  }

  /** Writes the intent even before any request (operations that must always be finished). */
  begin(): void {
    this.persist();
  }

  async modify(
    request: ModifySettingRequest,
    undo: ModifySettingRequest,
    label: string,
  ): Promise<void> {
    const uvm = this.requireUvm();
    await this.send(
      { kind: 'modify', uvm, document: request },
      { kind: 'modify', uvm, document: undo },
      label,
    );
  }

  async grantVmAccess(hostPath: string, label: string): Promise<void> {
    await this.send({ kind: 'grant', uvm: this.requireUvm(), hostPath }, null, label);
  }

  async call(
    request: WcLayerCall,
    undo: WcLayerCall | null,
    label: string,
  ): Promise<string | void> {
    try {
      return await this.send(
        { kind: 'wclayer', call: request },
        undo ? { kind: 'wclayer', call: undo } : null,
        label,
      );
    } catch (error) {
      throw withContext(`${request.Op} ${request.Path} failed`, error);
    }
  }

  nameToGuid(name: string): Promise<string> {
    return this.backend.hostLayers.nameToGuid(name);
  }

  /** Sends one call through the journal, the log and the progress listener. */
  async send(
    request: BackendCall,
    undo: BackendCall | null,
    label: string,
  ): Promise<string | void> {
    const key = JSON.stringify(request);
    const undone = findLast(
      this.intent.entries,
      (e) => e.status === 'sent' && this.undoKeys.get(e) === key,
    );
    let entry: JournalEntry | undefined;
    if (undone) {
      undone.status = 'undoing';
      this.persist();
    } else if (undo) {
      entry = { request, undo, status: 'sent' };
      this.intent.entries.push(entry);
      this.undoKeys.set(entry, JSON.stringify(undo));
      this.persist();
    }
    const step: OperationStep = {
      index: ++this.stepIndex,
      label,
      status: 'running',
      rollback: !!undone,
    };
    this.progress?.({ ...step });
    const started = performance.now();
    try {
      const result = await execute(this.backend, request);
      this.log(request, started);
      if (undone) {
        undone.status = 'undone';
        this.persist();
      }
      this.progress?.({ ...step, status: 'done' });
      if (entry && PAUSE_AFTER > 0 && ++journaledInProcess === PAUSE_AFTER) await pauseForever();
      return result;
    } catch (error) {
      const failure = toUvmLayersError(error);
      this.log(request, started, failure);
      if (undone) undone.status = 'sent';
      if (entry) entry.status = 'failed';
      if (undone || entry) this.persist();
      this.progress?.({ ...step, status: 'failed', error: failure.toJSON() });
      throw failure;
    }
  }

  private log(request: BackendCall, started: number, error?: UvmLayersError): void {
    logCall(this.store, this.uvm, request, started, error);
  }

  private persist(): void {
    this.store.writeIntent(intentName(this.intent.key), this.intent);
    this.written = true;
  }

  private requireUvm(): string {
    if (this.uvm === null) throw new Error('a host operation cannot send VM requests');
    return this.uvm;
  }
}

/** Appends one line to the request log. */
export function logCall(
  store: StateStore,
  uvm: string | null,
  request: BackendCall,
  started: number,
  error?: UvmLayersError,
): void {
  const json = error?.toJSON();
  store.appendLog({
    time: new Date().toISOString(),
    uvm,
    request: logRequest(request),
    ok: !json,
    ...(json
      ? {
          error: {
            code: json.code,
            message: json.message,
            ...(json.hresult ? { hresult: json.hresult } : {}),
          },
        }
      : {}),
    ms: Math.round((performance.now() - started) * 1000) / 1000,
  });
}

/** Intents are named after the record they guard. */
export function intentName(key: string): string {
  return key;
}

function findLast<T>(items: T[], predicate: (item: T) => boolean): T | undefined {
  for (let i = items.length - 1; i >= 0; i--) {
    const item = items[i];
    if (item !== undefined && predicate(item)) return item;
  }
  return undefined;
}

async function pauseForever(): Promise<never> {
  process.stderr.write(`uvm-layers: paused after request ${journaledInProcess} (test hook)\n`);
  return new Promise<never>(() => {
    setInterval(() => undefined, 60_000);
  });
}
