/**
 * Crash recovery. A process that dies mid-operation leaves its intent journal behind; the next
 * process that takes the same lock calls `recover` before anything else. An operation whose
 * record was committed only lost its journal cleanup. Otherwise a UVM removal is finished, and
 * every other operation is rolled back: the undo of each request that went out is sent, newest
 * first. The last request may or may not have landed, so its undo may fail without harm.
 */
import type { HcsBackend } from '../hcs/backend.js';
import { HRESULT } from '../hcs/hresult.js';
import type { StateStore } from '../store/state-store.js';
import { execute, type BackendCall } from './backend-call.js';
import { UvmLayersError, toUvmLayersError } from './errors.js';
import { intentName, logCall, type Intent } from './operation-journal.js';

export interface RecoveryReport {
  op: Intent['op'];
  opId: string;
  undone: number;
}

export async function recover(
  store: StateStore,
  backend: HcsBackend,
  key: string,
): Promise<RecoveryReport | undefined> {
  const name = intentName(key);
  const intent = store.readIntent<Intent>(name);
  if (!intent) return undefined;
  const record = store.read<{ lastOp?: string }>(key);
  const committed =
    intent.op === 'remove-uvm' ? record === undefined : record?.data.lastOp === intent.opId;
  if (committed) {
    store.clearIntent(name);
    return { op: intent.op, opId: intent.opId, undone: 0 };
  }
  const uvm = key.startsWith('uvm/') ? key.slice(4) : null;
  if (intent.op === 'remove-uvm' && uvm !== null) {
    try {
      await send(store, backend, uvm, { kind: 'terminate', uvm }, false);
    } catch (error) {
      if (!isSystemGone(error)) {
        throw new UvmLayersError(
          'RECOVERY_FAILED',
          `could not finish removing utility VM ${uvm} (interrupted in process ${intent.pid}); recovery runs again on the next command`,
          { causes: [error] },
        );
      }
    }
    store.delete(key);
    store.clearIntent(name);
    return { op: intent.op, opId: intent.opId, undone: 1 };
  }
  const lastSent = intent.entries.map((e) => e.status).lastIndexOf('sent');
  const failures: UvmLayersError[] = [];
  let undone = 0;
  for (let i = intent.entries.length - 1; i >= 0; i--) {
    const entry = intent.entries[i];
    if (!entry?.undo || entry.status === 'failed' || entry.status === 'undone') continue;
    const inDoubt = i === lastSent || entry.status === 'undoing';
    try {
      await send(store, backend, uvm, entry.undo, inDoubt);
      entry.status = 'undone';
      undone++;
    } catch (error) {
      failures.push(toUvmLayersError(error));
    }
  }
  if (failures.length > 0) {
    store.writeIntent(name, intent);
    throw new UvmLayersError(
      'RECOVERY_FAILED',
      `could not roll back the ${intent.op} interrupted in process ${intent.pid} (${key}): ${failures
        .map((f) => f.message)
        .join(
          '; ',
        )}; the journal is kept in ${store.dir}/intents and recovery runs again on the next command`,
      { causes: failures },
    );
  }
  store.clearIntent(name);
  return { op: intent.op, opId: intent.opId, undone };
}

/** The compute system no longer exists: removing it again is done. */
export function isSystemGone(error: unknown): boolean {
  if (!(error instanceof UvmLayersError)) return false;
  // vmcompute.dll reports the 0xC037xxxx form, computecore.dll the 0x8037xxxx one.
  return (
    error.hresult === HRESULT.HCS_E_SYSTEM_NOT_FOUND ||
    error.hresult === HRESULT.HCS_E_SYSTEM_NOT_FOUND_V2
  );
}

/** Sends one recovery call; a call whose predecessor may not have landed may fail harmlessly. */
async function send(
  store: StateStore,
  backend: HcsBackend,
  uvm: string | null,
  call: BackendCall,
  mayFail: boolean,
): Promise<void> {
  const started = performance.now();
  try {
    await execute(backend, call);
    logCall(store, uvm, call, started);
  } catch (error) {
    const failure = toUvmLayersError(error);
    logCall(store, uvm, call, started, failure);
    if (!mayFail) throw failure;
  }
}
