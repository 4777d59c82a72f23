/**
 * The containers mounted in a UVM: rootfs, scratch and each layer with the device it holds, an
 * unmount action, and any failed mount or unmount kept on its row until dismissed.
 */
import { memo, useMemo } from 'react';
import type { ContainerLayerView } from '../../../main/engine/views.js';
import { useServices, useReplica, useTasks } from '../app-context.js';
import { layerDeviceKey } from '../state/devices.js';
import { dismissTask } from '../state/tasks.js';
import { ErrorText } from './ErrorText.js';
import { VirtualRows } from './VirtualRows.js';

function deviceLabel(kind: ContainerLayerView['kind'], device: string): string {
  switch (kind) {
    case 'scsi':
      return `SCSI ${device}`;
    case 'vpmem':
      return `vPMEM ${device}`;
    case 'mapped':
      return `vPMEM ${device.replace('@', ' @')}`;
    case 'vsmb':
      return `VSMB ${device}`;
    case 'host':
      return `host ${device}`;
  }
}

function DeviceLink({
  uvm,
  deviceKey,
  label,
}: {
  uvm: string;
  deviceKey: string | undefined;
  label: string;
}) {
  const { ui } = useServices();
  if (!deviceKey) return <span>{label}</span>;
  return (
    <button
      type="button"
      className="link"
      onClick={() => ui.setState({ device: { uvm, key: deviceKey } })}
    >
      {label}
    </button>
  );
}

/** The failed task for this row, if any (newest first). */
function useFailedTask(uvm: string, guestRoot: string, kind: 'mount' | 'unmount') {
  return useTasks((s) => {
    for (const id of s.order) {
      const t = s.byId[id];
      if (t && t.uvm === uvm && t.target === guestRoot && t.kind === kind && t.status === 'failed')
        return t;
    }
    return undefined;
  });
}

const ContainerRow = memo(function ContainerRow({
  uvm,
  guestRoot,
}: {
  uvm: string;
  guestRoot: string;
}) {
  const { ui, tasks } = useServices();
  const container = useReplica((s) => s.containers[uvm]?.byKey[guestRoot]);
  const failedUnmount = useFailedTask(uvm, guestRoot, 'unmount');
  if (!container) return null;
  const partly = container.scratch.released || container.layers.some((l) => l.released);
  return (
    <article className="container-row" aria-label={`Container ${guestRoot}`}>
      <header>
        <h4>{guestRoot}</h4>
        {partly ? <span className="badge warn">partly unmounted</span> : null}
        <button
          type="button"
          onClick={() => ui.setState({ dialog: { kind: 'unmount', uvm, guestRoot } })}
        >
          Unmount…
        </button>
      </header>
      <dl className="facts">
        <dt>rootfs</dt>
        <dd>{container.rootfs}</dd>
        <dt>scratch</dt>
        <dd>
          {container.scratch.hostPath} →{' '}
          <DeviceLink
            uvm={uvm}
            deviceKey={`scsi:${container.scratch.device}`}
            label={`SCSI ${container.scratch.device}`}
          />
          {container.scratch.released ? <span className="muted"> (released)</span> : null}
        </dd>
      </dl>
      <ol className="layers" aria-label={`Layers of ${guestRoot}, base first`}>
        {container.layers.map((layer, i) => (
          <li key={i} className={layer.released ? 'released' : ''}>
            <span className="path">{layer.folder}</span> →{' '}
            <DeviceLink
              uvm={uvm}
              deviceKey={layerDeviceKey(layer)}
              label={deviceLabel(layer.kind, layer.device)}
            />{' '}
            <span className="muted">{layer.uvmPath}</span>
            {layer.released ? <span className="muted"> (released)</span> : null}
          </li>
        ))}
      </ol>
      {failedUnmount?.error ? (
        <div className="row-error">
          <ErrorText error={failedUnmount.error} live={false} />
          <button type="button" onClick={() => dismissTask(tasks, failedUnmount.id)}>
            Dismiss
          </button>
        </div>
      ) : null}
    </article>
  );
});

const FailedMountRow = memo(function FailedMountRow({ taskId }: { taskId: string }) {
  const { tasks } = useServices();
  const task = useTasks((s) => s.byId[taskId]);
  if (!task?.error) return null;
  const rollback = task.steps.filter((s) => s.rollback);
  return (
    <article className="container-row failed" aria-label={`Failed mount ${task.target ?? ''}`}>
      <header>
        <h4>{task.target}</h4>
        <span className="badge error">mount failed</span>
        <button type="button" onClick={() => dismissTask(tasks, taskId)}>
          Dismiss
        </button>
      </header>
      <ErrorText error={task.error} live={false} />
      {rollback.length > 0 ? (
        <p className="muted">
          Rolled back: {rollback.map((s) => `${s.label} (${s.status})`).join('; ')}
        </p>
      ) : null}
    </article>
  );
});

export function ContainerList({ uvm }: { uvm: string }) {
  const keys = useReplica((s) => s.containers[uvm]?.keys);
  const order = useTasks((s) => s.order);
  const byId = useTasks((s) => s.byId);
  const rows = useMemo(() => {
    const failed = order.filter((id) => {
      const t = byId[id];
      return t?.kind === 'mount' && t.uvm === uvm && t.status === 'failed';
    });
    return [...failed.map((id) => `task:${id}`), ...(keys ?? []).map((k) => `c:${k}`)];
  }, [order, byId, keys, uvm]);
  return (
    <VirtualRows
      keys={rows}
      estimateSize={140}
      measure
      role="list"
      label="Mounted containers"
      className="containers"
      empty={<p className="empty">No containers mounted. Use “Mount layers…” to mount one.</p>}
      renderRow={(key) => (
        <div role="listitem">
          {key.startsWith('task:') ? (
            <FailedMountRow taskId={key.slice(5)} />
          ) : (
            <ContainerRow uvm={uvm} guestRoot={key.slice(2)} />
          )}
        </div>
      )}
    />
  );
}
