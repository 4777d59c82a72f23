/** Unmounts a container with hcsshim's operation mask: everything, or only one device kind. */
import { useState, type FormEvent } from 'react';
import type { ErrorJson } from '../../../main/engine/errors.js';
import type { UnmountOp } from '../../../main/engine/service-api.js';
import { useServices } from '../app-context.js';
import { runTask } from '../state/tasks.js';
import { Dialog } from './Dialog.js';
import { ErrorText } from './ErrorText.js';
import { StepList } from './StepList.js';
import { useTasks } from '../app-context.js';

type Choice = 'all' | UnmountOp;

const CHOICES: Array<[Choice, string]> = [
  ['all', 'All (SCSI, VSMB and vPMEM)'],
  ['scsi', 'SCSI only (the scratch)'],
  ['vsmb', 'VSMB only (Windows read-only layers)'],
  ['vpmem', 'vPMEM only (Linux read-only layers, on vPMEM or SCSI)'],
];

export function UnmountDialog({
  uvm,
  guestRoot,
  onClose,
}: {
  uvm: string;
  guestRoot: string;
  onClose: () => void;
}) {
  const { api, tasks, sync } = useServices();
  const [choice, setChoice] = useState<Choice>('all');
  const [taskId, setTaskId] = useState<string | null>(null);
  const [error, setError] = useState<ErrorJson | null>(null);
  const task = useTasks((s) => (taskId ? s.byId[taskId] : undefined));

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const ops: UnmountOp[] | undefined = choice === 'all' ? undefined : [choice];
    const { id, done } = runTask(
      tasks,
      { kind: 'unmount', title: `Unmount ${guestRoot} (${choice})`, uvm, target: guestRoot },
      (onProgress) => api.unmount({ uvm, guestRoot, ...(ops ? { ops } : {}) }, onProgress),
    );
    setTaskId(id);
    const result = await done;
    sync.refresh();
    if (result.ok) onClose();
    else setError(result.error);
  };

  return (
    <Dialog title={`Unmount ${guestRoot}`} onClose={onClose}>
      <form className="form" onSubmit={(e) => void submit(e)}>
        <fieldset>
          <legend>Operations (the combined layers are always removed first)</legend>
          {CHOICES.map(([value, label]) => (
            <label className="inline" key={value}>
              <input
                type="radio"
                name="unmount-op"
                value={value}
                checked={choice === value}
                onChange={() => setChoice(value)}
              />{' '}
              {label}
            </label>
          ))}
        </fieldset>
        {task ? <StepList steps={task.steps} /> : null}
        {error ? <ErrorText error={error} /> : null}
        <div className="actions">
          <button type="button" onClick={onClose}>
            {task ? 'Close' : 'Cancel'}
          </button>
          <button type="submit" className="primary" disabled={task?.status === 'running'}>
            Unmount
          </button>
        </div>
      </form>
    </Dialog>
  );
}
