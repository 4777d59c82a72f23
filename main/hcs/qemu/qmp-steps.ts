/**
 * QMP commands as the document steps use them: a refusal becomes an HcsError naming the step,
 * and the removal commands treat "already gone" as done, so a remove retried after a partial
 * failure finishes instead of failing on what the first attempt already removed.
 */
import type { QmpClient } from './qmp-client.js';
import { qemuRefuse } from './refusals.js';

/** How long a hot-unplug may take before QEMU confirms it (the notes measured ~0.1-0.25 s). */
export const DEVICE_DELETED_TIMEOUT_MS = 15_000;

export async function qmpOk(
  qmp: QmpClient,
  what: string,
  command: string,
  args?: Record<string, unknown>,
): Promise<unknown> {
  const result = await qmp.execute(command, args);
  if (!result.ok) throw qemuRefuse.qmp(what, command, result.error);
  return result.value;
}

/** device_del, then DEVICE_DELETED; a device that does not exist is already removed. */
export async function deleteDevice(qmp: QmpClient, what: string, id: string): Promise<void> {
  const result = await qmp.execute('device_del', { id });
  if (!result.ok) {
    if (result.error.class === 'DeviceNotFound') return;
    throw qemuRefuse.qmp(what, 'device_del', result.error);
  }
  await qmp.waitForEvent(
    'DEVICE_DELETED',
    (data) => data['device'] === id,
    DEVICE_DELETED_TIMEOUT_MS,
  );
}

export async function deleteBlockNode(qmp: QmpClient, what: string, node: string): Promise<void> {
  const result = await qmp.execute('blockdev-del', { 'node-name': node });
  if (!result.ok && !/Failed to find node|Cannot find node/i.test(result.error.desc)) {
    throw qemuRefuse.qmp(what, 'blockdev-del', result.error);
  }
}

export async function deleteObject(qmp: QmpClient, what: string, id: string): Promise<void> {
  const result = await qmp.execute('object-del', { id });
  if (!result.ok && !/not found|doesn't exist|does not exist/i.test(result.error.desc)) {
    throw qemuRefuse.qmp(what, 'object-del', result.error);
  }
}
