/**
 * One UVM: its options, actions, and tabs for the SCSI grid, vPMEM, VSMB and containers; on the
 * qemu backend also the read-back strip and a Files tab.
 */
import { useEffect, useRef, type KeyboardEvent } from 'react';
import { useQemuBackend, useServices, useReplica, useUi } from '../app-context.js';
import { formatBytes } from '../state/devices.js';
import type { UvmTab } from '../state/ui.js';
import { ContainerList } from './ContainerList.js';
import { VpmemTable, VsmbTable } from './DeviceTables.js';
import { ErrorText } from './ErrorText.js';
import { FilesTab } from './FilesTab.js';
import { ReadBackStrip } from './ReadBackStrip.js';
import { ScsiGrid } from './ScsiGrid.js';

const DEVICE_TABS: UvmTab[] = ['scsi', 'vpmem', 'vsmb', 'containers'];
/** The qemu backend adds Files: a real guest to read each container's rootfs from. */
const QEMU_TABS: UvmTab[] = [...DEVICE_TABS, 'files'];

const TAB_NAME: Record<UvmTab, string> = {
  scsi: 'SCSI',
  vpmem: 'vPMEM',
  vsmb: 'VSMB',
  containers: 'Containers',
  files: 'Files',
};

function TabLabel({ uvm, tab }: { uvm: string; tab: UvmTab }) {
  const count = useReplica((s) => {
    const v = s.views[uvm];
    if (!v || tab === 'files') return null;
    if (tab === 'scsi') return v.scsi.keys.length;
    if (tab === 'vpmem') return v.vpmem.keys.length;
    if (tab === 'vsmb') return v.vsmb.keys.length;
    return s.containers[uvm]?.keys.length ?? 0;
  });
  const parked = useReplica((s) =>
    tab === 'vpmem' ? (s.verify[uvm]?.report?.parkedVpmem.length ?? 0) : 0,
  );
  return (
    <>
      {TAB_NAME[tab]}
      {count === null ? '' : ` (${count}${parked > 0 ? ` + ${parked} parked` : ''})`}
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
  const qemu = useQemuBackend();
  const tabs = qemu ? QEMU_TABS : DEVICE_TABS;
  const chosen = useUi((s) => s.tab);
  // A tab this backend does not have is never shown (not even disabled).
  const tab = tabs.includes(chosen) ? chosen : 'scsi';
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
    const at = tabs.indexOf(tab);
    const delta = event.key === 'ArrowRight' ? 1 : event.key === 'ArrowLeft' ? -1 : 0;
    if (delta === 0) return;
    event.preventDefault();
    const next = tabs[(at + delta + tabs.length) % tabs.length] ?? 'scsi';
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
          {qemu ? <ReadBackStrip uvm={uvm} /> : null}
          <div role="tablist" aria-label="Devices" className="tabs" onKeyDown={onTabKey}>
            {tabs.map((t) => (
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
            {tab === 'files' ? <FilesTab key={uvm} uvm={uvm} /> : null}
          </section>
        </>
      ) : null}
    </div>
  );
}
