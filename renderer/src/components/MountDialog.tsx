/**
 * Mounts a container's layers into a UVM: layer folders in order (base first), the scratch
 * folder, the guest root; then the live steps of the operation, and on failure the rollback and
 * the error. In the desktop app, folders can be picked with the native dialog.
 */
import { useMemo, useState, type FormEvent } from 'react';
import type { ErrorJson } from '../../../main/engine/errors.js';
import { useServices, useReplica, useTasks } from '../app-context.js';
import { runTask } from '../state/tasks.js';
import { Dialog } from './Dialog.js';
import { ErrorText } from './ErrorText.js';
import { StepList } from './StepList.js';

function randomId(): string {
  const bytes = new Uint8Array(6);
  globalThis.crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** hcsshim's layout: `/run/gcs/c/<id>` in a Linux guest, `C:\c\<id>` in a Windows one. */
export function defaultGuestRoot(os: 'linux' | 'windows', id = randomId()): string {
  return os === 'linux' ? `/run/gcs/c/${id}` : `C:\\c\\${id}`;
}

export function MountDialog({ uvm, onClose }: { uvm: string; onClose: () => void }) {
  const { api, tasks, sync } = useServices();
  const os = useReplica((s) => s.views[uvm]?.view.os ?? s.uvms.byKey[uvm]?.os ?? 'linux');
  const canPick = useReplica((s) => s.info?.canPickFolders ?? false);
  const initialRoot = useMemo(() => defaultGuestRoot(os), [os]);
  const [layers, setLayers] = useState<string[]>(['']);
  const [scratch, setScratch] = useState('');
  const [guestRoot, setGuestRoot] = useState(initialRoot);
  const [taskId, setTaskId] = useState<string | null>(null);
  const [pickError, setPickError] = useState<ErrorJson | null>(null);
  const task = useTasks((s) => (taskId ? s.byId[taskId] : undefined));
  const [rootfs, setRootfs] = useState<string | null>(null);

  const setLayer = (i: number, value: string) =>
    setLayers((ls) => ls.map((l, j) => (j === i ? value : l)));
  const move = (i: number, delta: number) =>
    setLayers((ls) => {
      const next = [...ls];
      const [item] = next.splice(i, 1);
      if (item !== undefined) next.splice(Math.max(0, Math.min(next.length, i + delta)), 0, item);
      return next;
    });

  const pick = async (multiple: boolean): Promise<string[]> => {
    setPickError(null);
    const result = await api.pickFolders({
      multiple,
      title: multiple ? 'Layer folders (base first)' : 'Scratch folder',
    });
    if (!result.ok) {
      setPickError(result.error);
      return [];
    }
    return result.value;
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const request = {
      uvm,
      guestRoot: guestRoot.trim(),
      layers: layers.map((l) => l.trim()).filter(Boolean),
      scratch: scratch.trim(),
    };
    const { id, done } = runTask(
      tasks,
      {
        kind: 'mount',
        title: `Mount ${request.guestRoot} in ${uvm}`,
        uvm,
        target: request.guestRoot,
      },
      (onProgress) => api.mount(request, onProgress),
    );
    setTaskId(id);
    const result = await done;
    sync.refresh();
    if (result.ok) setRootfs(result.value.rootfs);
  };

  const started = task !== undefined;
  const running = task?.status === 'running';
  const rollback = task?.steps.some((s) => s.rollback) ?? false;

  return (
    <Dialog title={`Mount layers in ${uvm}`} onClose={onClose} className="wide">
      <form className="form" onSubmit={(e) => void submit(e)}>
        <fieldset disabled={started}>
          <legend>
            Layer folders, base first (each holds layer.vhd
            {os === 'windows' ? ' or the layer files' : ''})
          </legend>
          <ol className="layer-inputs">
            {layers.map((layer, i) => (
              <li key={i}>
                <input
                  aria-label={`Layer ${i + 1} folder`}
                  value={layer}
                  placeholder={os === 'linux' ? '/path/to/layer' : 'C:\\layers\\base'}
                  onChange={(e) => setLayer(i, e.target.value)}
                />
                <button
                  type="button"
                  className="icon"
                  aria-label={`Move layer ${i + 1} up`}
                  disabled={i === 0}
                  onClick={() => move(i, -1)}
                >
                  ↑
                </button>
                <button
                  type="button"
                  className="icon"
                  aria-label={`Move layer ${i + 1} down`}
                  disabled={i === layers.length - 1}
                  onClick={() => move(i, 1)}
                >
                  ↓
                </button>
                <button
                  type="button"
                  className="icon"
                  aria-label={`Remove layer ${i + 1}`}
                  disabled={layers.length === 1}
                  onClick={() => setLayers((ls) => ls.filter((_, j) => j !== i))}
                >
                  ×
                </button>
              </li>
            ))}
          </ol>
          <div className="row-actions">
            <button type="button" onClick={() => setLayers((ls) => [...ls, ''])}>
              Add layer
            </button>
            {canPick ? (
              <button
                type="button"
                onClick={() =>
                  void pick(true).then((paths) => {
                    if (paths.length > 0)
                      setLayers((ls) => [...ls.filter((l) => l.trim() !== ''), ...paths]);
                  })
                }
              >
                Browse for layers…
              </button>
            ) : null}
          </div>
        </fieldset>
        <fieldset disabled={started}>
          <label>
            Scratch folder (holds sandbox.vhdx)
            <span className="with-button">
              <input
                required
                value={scratch}
                onChange={(e) => setScratch(e.target.value)}
                placeholder="/path/to/scratch"
              />
              {canPick ? (
                <button
                  type="button"
                  onClick={() =>
                    void pick(false).then((p) => p[0] !== undefined && setScratch(p[0]))
                  }
                >
                  Browse…
                </button>
              ) : null}
            </span>
          </label>
          <label>
            Guest root
            <input required value={guestRoot} onChange={(e) => setGuestRoot(e.target.value)} />
          </label>
        </fieldset>
        {pickError ? <ErrorText error={pickError} /> : null}
        {task ? (
          <section aria-label="Mount progress" className="progress">
            <h3>
              {running
                ? 'Mounting…'
                : task.status === 'done'
                  ? 'Mounted'
                  : rollback
                    ? 'Failed — rolled back'
                    : 'Failed'}
            </h3>
            <StepList steps={task.steps} label="Mount steps" />
            {rootfs ? (
              <p role="status">
                Container root filesystem: <code>{rootfs}</code>
              </p>
            ) : null}
            {task.error ? <ErrorText error={task.error} /> : null}
          </section>
        ) : null}
        <div className="actions">
          <button type="button" onClick={onClose}>
            {started ? 'Close' : 'Cancel'}
          </button>
          {!started ? (
            <button
              type="submit"
              className="primary"
              disabled={layers.every((l) => l.trim() === '') || scratch.trim() === ''}
            >
              Mount
            </button>
          ) : null}
        </div>
      </form>
    </Dialog>
  );
}
