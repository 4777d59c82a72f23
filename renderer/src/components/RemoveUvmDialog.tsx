/** Stops and deletes a UVM; refused by the engine while containers are mounted unless forced. */
import { useState } from 'react';
import type { ErrorJson } from '../../../main/engine/errors.js';
import { useServices, useReplica } from '../app-context.js';
import { runTask } from '../state/tasks.js';
import { selectUvm } from '../state/ui.js';
import { Dialog } from './Dialog.js';
import { ErrorText } from './ErrorText.js';

export function RemoveUvmDialog({ uvm, onClose }: { uvm: string; onClose: () => void }) {
  const { api, tasks, ui, sync } = useServices();
  const containers = useReplica((s) => s.uvms.byKey[uvm]?.containers ?? 0);
  const [force, setForce] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorJson | null>(null);
  const remove = async () => {
    setBusy(true);
    setError(null);
    const { done } = runTask(tasks, { kind: 'remove', title: `Remove ${uvm}`, uvm }, (onProgress) =>
      api.removeUvm({ id: uvm, ...(force ? { force } : {}) }, onProgress),
    );
    const result = await done;
    setBusy(false);
    sync.refresh();
    if (result.ok) {
      selectUvm(ui, null);
      onClose();
    } else setError(result.error);
  };
  return (
    <Dialog title={`Remove ${uvm}?`} onClose={onClose}>
      <div className="form">
        <p>The utility VM is stopped and deleted.</p>
        {containers > 0 ? (
          <label className="inline">
            <input type="checkbox" checked={force} onChange={(e) => setForce(e.target.checked)} />{' '}
            Force: {containers} container
            {containers === 1 ? ' is' : 's are'} still mounted
          </label>
        ) : null}
        {error ? <ErrorText error={error} /> : null}
        <div className="actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="button" className="danger" disabled={busy} onClick={() => void remove()}>
            {busy ? 'Removing…' : 'Remove'}
          </button>
        </div>
      </div>
    </Dialog>
  );
}
