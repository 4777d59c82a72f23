/** The keyboard shortcuts. */
import { Dialog } from './Dialog.js';

const KEYS: Array<[string, string]> = [
  ['/', 'Focus the UVM filter'],
  ['↑ ↓ Home End', 'Move through the UVM list (when it has focus)'],
  ['← → ↑ ↓', 'Move between SCSI cells and between device tabs'],
  ['Enter', 'Open the focused device in the detail pane'],
  ['↑ ↓ Home End PgUp PgDn', 'Files tab (qemu): move through the directory'],
  ['Enter or →  /  Backspace or ←', 'Files tab (qemu): open the directory / go up'],
  ['Esc', 'Close a dialog or the detail pane'],
  ['g then l / g then u', 'Go to the request log / the UVMs'],
  ['?', 'This help'],
];

export function HelpDialog({ onClose }: { onClose: () => void }) {
  return (
    <Dialog title="Keyboard shortcuts" onClose={onClose}>
      <dl className="keys">
        {KEYS.map(([k, what]) => (
          <div key={k}>
            <dt>
              <kbd>{k}</kbd>
            </dt>
            <dd>{what}</dd>
          </div>
        ))}
      </dl>
      <div className="actions">
        <button type="button" onClick={onClose} autoFocus>
          Close
        </button>
      </div>
    </Dialog>
  );
}
