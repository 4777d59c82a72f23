/** One UVM: its options, actions, and tabs for the SCSI grid, vPMEM, VSMB and containers. */
import { useEffect, useRef, type KeyboardEvent } from 'react';
import { useServices, useReplica, useUi } from '../app-context.js';
import { formatBytes } from '../state/devices.js';
import type { UvmTab } from '../state/ui.js';
import { ContainerList } from './ContainerList.js';
import { VpmemTable, VsmbTable } from './DeviceTables.js';
import { ErrorText } from './ErrorText.js';
import { ScsiGrid } from './ScsiGrid.js';

const TABS: UvmTab[] = ['scsi', 'vpmem', 'vsmb', 'containers'];

function TabLabel({ uvm, tab }: { uvm: string; tab: UvmTab }) {
  const count = useReplica((s) => {
    const v = s.views[uvm];
    if (!v) return null;
    if (tab === 'scsi') return v.scsi.keys.length;
    if (tab === 'vpmem') return v.vpmem.keys.length;
    if (tab === 'vsmb') return v.vsmb.keys.length;
    return s.containers[uvm]?.keys.length ?? 0;
  });
  const name = { scsi: 'SCSI', vpmem: 'vPMEM', vsmb: 'VSMB', containers: 'Containers' }[tab];
  return (
    <>
      {name}
      {count === null ? '' : ` (${count})`}
    </>
  );
}

function Options({ uvm }: { uvm: string }) {
  const options = useReplica((s) => s.views[uvm]?.view.options);
  const os = useReplica((s) => s.views[uvm]?.view.os);
  const state = useReplica((s) => s.views[uvm]?.view.state);
  if (!options || !os || !state) return null;
  return (
    <dl className="uvm-options">
      <dt>OS</dt>
      <dd>{os === 'linux' ? 'Linux (LCOW)' : 'Windows (WCOW)'}</dd>
      <dt>State</dt>
      <dd>{state}</dd>
      {os === 'linux' ? (
        <>
          <dt>vPMEM</dt>
          <dd>
            {options.vpmemCount} × {formatBytes(options.vpmemMaxSizeBytes)}
            {options.vpmemMultiMapping ? ', multi-mapping' : ''}
          </dd>
        </>
      ) : null}
      <dt>SCSI controllers</dt>
      <dd>{options.scsiControllers}</dd>
      <dt>Memory</dt>
      <dd>{options.physicallyBacked ? 'physically backed' : 'virtual'}</dd>
    </dl>
  );
}

export function UvmPage() {
  const { ui, sync } = useServices();
  const uvm = useUi((s) => s.selectedUvm);
  const tab = useUi((s) => s.tab);
  const loaded = useReplica((s) => (uvm ? s.views[uvm] !== undefined : false));
  const error = useReplica((s) => (uvm ? s.viewErrors[uvm] : undefined));
  const tabRefs = useRef<Record<string, HTMLButtonElement | null>>({});

  useEffect(() => (uvm ? sync.watchUvm(uvm) : undefined), [uvm, sync]);

  if (!uvm) {
    return (
      <div className="placeholder">
        <h2>No UVM selected</h2>
        <p>Select a utility VM in the list, or create one.</p>
        <button
          type="button"
          className="primary"
          onClick={() => ui.setState({ dialog: { kind: 'create' } })}
        >
          New UVM
        </button>
      </div>
    );
  }

  const onTabKey = (event: KeyboardEvent) => {
    const at = TABS.indexOf(tab);
    const delta = event.key === 'ArrowRight' ? 1 : event.key === 'ArrowLeft' ? -1 : 0;
    if (delta === 0) return;
    event.preventDefault();
    const next = TABS[(at + delta + TABS.length) % TABS.length] ?? 'scsi';
    ui.setState({ tab: next });
    tabRefs.current[next]?.focus();
  };

  return (
    <div className="uvm-page">
      <header className="page-head">
        <h2>{uvm}</h2>
        <div className="page-actions">
          <button
            type="button"
            className="primary"
            disabled={!loaded}
            onClick={() => ui.setState({ dialog: { kind: 'mount', uvm } })}
          >
            Mount layers…
          </button>
          <button
            type="button"
            className="danger"
            onClick={() => ui.setState({ dialog: { kind: 'remove', uvm } })}
          >
            Remove UVM…
          </button>
        </div>
      </header>
      {error ? <ErrorText error={error} /> : null}
      {!loaded && !error ? <p className="muted">Loading {uvm}…</p> : null}
      {loaded ? (
        <>
          <Options uvm={uvm} />
          <div role="tablist" aria-label="Devices" className="tabs" onKeyDown={onTabKey}>
            {TABS.map((t) => (
              <button
                key={t}
                ref={(el) => {
                  tabRefs.current[t] = el;
                }}
                type="button"
                role="tab"
                id={`tab-${t}`}
                aria-selected={tab === t}
                aria-controls={`panel-${t}`}
                tabIndex={tab === t ? 0 : -1}
                onClick={() => ui.setState({ tab: t })}
              >
                <TabLabel uvm={uvm} tab={t} />
              </button>
            ))}
          </div>
          <section
            role="tabpanel"
            id={`panel-${tab}`}
            aria-labelledby={`tab-${tab}`}
            className="tabpanel"
          >
            {tab === 'scsi' ? <ScsiGrid uvm={uvm} /> : null}
            {tab === 'vpmem' ? <VpmemTable uvm={uvm} /> : null}
            {tab === 'vsmb' ? <VsmbTable uvm={uvm} /> : null}
            {tab === 'containers' ? <ContainerList uvm={uvm} /> : null}
          </section>
        </>
      ) : null}
    </div>
  );
}
