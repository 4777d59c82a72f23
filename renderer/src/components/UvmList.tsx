/** The sidebar: every UVM with its OS, state and device counts; a filter (`/`); create. */
import { memo, useMemo } from 'react';
import { useServices, useReplica, useTasks, useUi } from '../app-context.js';
import { selectUvm } from '../state/ui.js';
import { VirtualRows } from './VirtualRows.js';

export const FILTER_INPUT_ID = 'uvm-filter';
const optionId = (id: string): string => `uvm-option-${id}`;

const UvmRow = memo(function UvmRow({ id }: { id: string }) {
  const { ui } = useServices();
  const summary = useReplica((s) => s.uvms.byKey[id]);
  const selected = useUi((s) => s.selectedUvm === id);
  const failed = useTasks((s) =>
    s.order.some((t) => s.byId[t]?.uvm === id && s.byId[t]?.status === 'failed'),
  );
  const running = useTasks((s) =>
    s.order.some((t) => s.byId[t]?.uvm === id && s.byId[t]?.status === 'running'),
  );
  if (!summary) return null;
  return (
    <div
      id={optionId(id)}
      role="option"
      aria-selected={selected}
      className={`uvm-row ${selected ? 'selected' : ''}`}
      onClick={() => selectUvm(ui, id)}
    >
      <div className="uvm-row-head">
        <span className="uvm-id">{summary.id}</span>
        <span className={`badge os-${summary.os}`}>{summary.os === 'linux' ? 'LCOW' : 'WCOW'}</span>
        <span className={`badge state-${summary.state.toLowerCase()}`}>{summary.state}</span>
        {running ? <span className="badge busy">working</span> : null}
        {failed ? <span className="badge error">error</span> : null}
      </div>
      <div className="uvm-row-counts">
        SCSI {summary.scsi} · vPMEM {summary.vpmem} · VSMB {summary.vsmb} · containers{' '}
        {summary.containers}
      </div>
    </div>
  );
});

export function UvmList() {
  const { ui } = useServices();
  const uvms = useReplica((s) => s.uvms);
  const phase = useReplica((s) => s.phase);
  const filter = useUi((s) => s.filter);
  const selected = useUi((s) => s.selectedUvm);
  const keys = useMemo(() => {
    const needle = filter.trim().toLowerCase();
    if (!needle) return uvms.keys;
    return uvms.keys.filter((id) => {
      const u = uvms.byKey[id];
      return (
        u !== undefined &&
        `${u.id} ${u.os} ${u.os === 'linux' ? 'lcow' : 'wcow'} ${u.state}`
          .toLowerCase()
          .includes(needle)
      );
    });
  }, [uvms, filter]);

  return (
    <nav className="sidebar" aria-label="Utility VMs">
      <div className="sidebar-head">
        <h2>Utility VMs</h2>
        <button type="button" onClick={() => ui.setState({ dialog: { kind: 'create' } })}>
          New UVM
        </button>
      </div>
      <input
        id={FILTER_INPUT_ID}
        type="search"
        className="filter"
        aria-label="Filter UVMs"
        placeholder="Filter  ( / )"
        value={filter}
        onChange={(e) => ui.setState({ filter: e.target.value })}
        onKeyDown={(e) => {
          if (e.key === 'ArrowDown' && keys[0] !== undefined) {
            e.preventDefault();
            selectUvm(ui, keys[0]);
            document.getElementById('uvm-listbox')?.focus();
          }
        }}
      />
      <div id="uvm-listbox-wrap" className="uvm-list">
        <VirtualRows
          id="uvm-listbox"
          keys={keys}
          estimateSize={58}
          measure
          role="listbox"
          label="Utility VMs"
          tabIndex={0}
          activeDescendant={selected && keys.includes(selected) ? optionId(selected) : undefined}
          renderRow={(id) => <UvmRow id={id} />}
          empty={
            <p className="empty">
              {phase === 'loading'
                ? 'Loading…'
                : filter
                  ? 'No UVM matches the filter.'
                  : 'No utility VMs yet.'}
            </p>
          }
          onKeyDown={(event, virtualizer) => {
            if (
              event.key !== 'ArrowDown' &&
              event.key !== 'ArrowUp' &&
              event.key !== 'Home' &&
              event.key !== 'End'
            )
              return;
            event.preventDefault();
            const at = selected ? keys.indexOf(selected) : -1;
            const next =
              event.key === 'Home'
                ? 0
                : event.key === 'End'
                  ? keys.length - 1
                  : Math.min(
                      keys.length - 1,
                      Math.max(0, at + (event.key === 'ArrowDown' ? 1 : -1)),
                    );
            const id = keys[next];
            if (id !== undefined) {
              selectUvm(ui, id);
              virtualizer.scrollToIndex(next);
            }
          }}
        />
      </div>
    </nav>
  );
}
