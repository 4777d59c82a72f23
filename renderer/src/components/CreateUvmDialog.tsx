/** Creates and starts a UVM with the options `uvm create` takes. */
import { useState, type FormEvent } from 'react';
import type { CreateUvmRequest } from '../../../main/engine/service-api.js';
import { useServices } from '../app-context.js';
import { runTask } from '../state/tasks.js';
import { selectUvm } from '../state/ui.js';
import { Dialog } from './Dialog.js';
import { ErrorText } from './ErrorText.js';
import type { ErrorJson } from '../../../main/engine/errors.js';

const GIB = 1024 ** 3;

export function CreateUvmDialog({ onClose }: { onClose: () => void }) {
  const { api, tasks, ui, sync } = useServices();
  const [id, setId] = useState('');
  const [os, setOs] = useState<'linux' | 'windows'>('linux');
  const [vpmemCount, setVpmemCount] = useState('64');
  const [vpmemSizeGiB, setVpmemSizeGiB] = useState('4');
  const [scsiControllers, setScsiControllers] = useState('1');
  const [physicallyBacked, setPhysicallyBacked] = useState(false);
  const [multiMapping, setMultiMapping] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorJson | null>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const request: CreateUvmRequest = {
      id: id.trim(),
      os,
      scsiControllers: Number(scsiControllers),
      physicallyBacked,
    };
    if (os === 'linux') {
      request.vpmemCount = Number(vpmemCount);
      request.vpmemMaxSizeBytes = Math.round(Number(vpmemSizeGiB) * GIB);
      request.vpmemMultiMapping = multiMapping;
    }
    setBusy(true);
    setError(null);
    const { done } = runTask(
      tasks,
      { kind: 'create', title: `Create ${request.id}`, uvm: request.id },
      (onProgress) => api.createUvm(request, onProgress),
    );
    const result = await done;
    setBusy(false);
    sync.refresh();
    if (result.ok) {
      selectUvm(ui, result.value.id);
      onClose();
    } else {
      setError(result.error);
    }
  };

  return (
    <Dialog title="New utility VM" onClose={onClose}>
      <form className="form" onSubmit={(e) => void submit(e)}>
        <label>
          ID
          <input
            required
            value={id}
            onChange={(e) => setId(e.target.value)}
            placeholder="e.g. uvm1"
            autoFocus
          />
        </label>
        <fieldset>
          <legend>Operating system</legend>
          <label className="inline">
            <input
              type="radio"
              name="os"
              checked={os === 'linux'}
              onChange={() => setOs('linux')}
            />{' '}
            Linux (LCOW)
          </label>
          <label className="inline">
            <input
              type="radio"
              name="os"
              checked={os === 'windows'}
              onChange={() => {
                setOs('windows');
                setScsiControllers('1');
              }}
            />{' '}
            Windows (WCOW)
          </label>
        </fieldset>
        {os === 'linux' ? (
          <>
            <label>
              vPMEM devices
              <input
                type="number"
                min={0}
                max={128}
                value={vpmemCount}
                onChange={(e) => setVpmemCount(e.target.value)}
              />
            </label>
            <label>
              vPMEM maximum size (GiB)
              <input
                type="number"
                min={0}
                step="any"
                value={vpmemSizeGiB}
                onChange={(e) => setVpmemSizeGiB(e.target.value)}
              />
            </label>
            <label className="inline">
              <input
                type="checkbox"
                checked={multiMapping}
                onChange={(e) => setMultiMapping(e.target.checked)}
              />{' '}
              vPMEM multi-mapping (pack layers onto 4 GiB devices)
            </label>
          </>
        ) : null}
        <label>
          SCSI controllers
          <input
            type="number"
            min={1}
            max={os === 'linux' ? 4 : 1}
            value={scsiControllers}
            onChange={(e) => setScsiControllers(e.target.value)}
          />
        </label>
        <label className="inline">
          <input
            type="checkbox"
            checked={physicallyBacked}
            onChange={(e) => setPhysicallyBacked(e.target.checked)}
          />{' '}
          Physically backed memory
        </label>
        {error ? <ErrorText error={error} /> : null}
        <div className="actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={busy || id.trim() === ''}>
            {busy ? 'Creating…' : 'Create'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
