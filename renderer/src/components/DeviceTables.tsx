/**
 * The vPMEM devices (with their mappings in multi-mapping mode) and VSMB shares of a UVM, as
 * virtualised tables whose rows each select one device. On the qemu backend the vPMEM table
 * ends with the parked devices the last read-back found: removed from the guest and the
 * ledger, still plugged because QEMU cannot unplug virtio-pmem.
 */
import { memo, useMemo } from 'react';
import { useServices, useReplica, useUi } from '../app-context.js';
import { formatBytes, vpmemKey, vsmbKey } from '../state/devices.js';
import { VirtualRows } from './VirtualRows.js';

function useSelect(uvm: string, key: string): [boolean, () => void] {
  const { ui } = useServices();
  const selected = useUi((s) => s.device?.uvm === uvm && s.device.key === key);
  return [selected, () => ui.setState({ device: { uvm, key } })];
}

/** A device row: selectable by click, Enter or Space; opens the device's detail pane. */
function DeviceRow({
  uvm,
  deviceKey,
  extraClass = '',
  children,
}: {
  uvm: string;
  deviceKey: string;
  extraClass?: string;
  children: React.ReactNode;
}) {
  const [selected, open] = useSelect(uvm, deviceKey);
  return (
    <div
      className={`trow ${extraClass}${selected ? ' selected' : ''}`}
      role="row"
      aria-selected={selected}
      tabIndex={0}
      onClick={open}
      onKeyDown={(e) => {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          open();
        }
      }}
    >
      {children}
    </div>
  );
}

const VpmemDeviceRow = memo(function VpmemDeviceRow({
  uvm,
  device,
}: {
  uvm: string;
  device: string;
}) {
  const d = useReplica((s) => s.views[uvm]?.vpmem.byKey[device]);
  if (!d) return null;
  const multi = d.hostPath === null;
  return (
    <DeviceRow uvm={uvm} deviceKey={vpmemKey(Number(device))}>
      <span role="cell" className="c-num">
        {d.device}
      </span>
      <span role="cell" className="c-path" title={d.hostPath ?? ''}>
        {multi ? `${d.mappings.length} mapping${d.mappings.length === 1 ? '' : 's'}` : d.hostPath}
      </span>
      <span role="cell" className="c-path">
        {d.uvmPath ?? '—'}
      </span>
      <span role="cell" className="c-size">
        {formatBytes(d.sizeBytes)}
      </span>
      <span role="cell" className="c-num">
        {d.refCount}
      </span>
    </DeviceRow>
  );
});

const VpmemMappingRow = memo(function VpmemMappingRow({
  uvm,
  device,
  offset,
}: {
  uvm: string;
  device: string;
  offset: number;
}) {
  const m = useReplica((s) =>
    s.views[uvm]?.vpmem.byKey[device]?.mappings.find((x) => x.offset === offset),
  );
  if (!m) return null;
  return (
    <DeviceRow uvm={uvm} deviceKey={vpmemKey(Number(device), offset)} extraClass="mapping">
      <span role="cell" className="c-num">
        ↳ @{m.offset}
      </span>
      <span role="cell" className="c-path" title={m.hostPath}>
        {m.hostPath}
      </span>
      <span role="cell" className="c-path">
        {m.uvmPath}
      </span>
      <span role="cell" className="c-size">
        {formatBytes(m.sizeBytes)}
      </span>
      <span role="cell" className="c-num">
        {m.refCount}
      </span>
    </DeviceRow>
  );
});

export const PARKED_NOTE = 'parked (QEMU cannot unplug virtio-pmem)';

const ParkedRow = memo(function ParkedRow({ uvm, index }: { uvm: string; index: number }) {
  const p = useReplica((s) => s.verify[uvm]?.report?.parkedVpmem[index]);
  if (!p) return null;
  return (
    <div className="trow parked" role="row">
      <span role="cell" className="c-num">
        {p.device ?? '?'}
      </span>
      <span role="cell" className="c-path" title={p.hostPath ?? ''}>
        {p.hostPath ?? 'unknown file'}
      </span>
      <span role="cell" className="c-path">
        <span className="badge warn">{PARKED_NOTE}</span>
      </span>
      <span role="cell" className="c-size">
        {formatBytes(p.sizeBytes)}
      </span>
      <span role="cell" className="c-num">
        —
      </span>
    </div>
  );
});

function Header({ cells }: { cells: Array<[string, string]> }) {
  return (
    <div role="rowgroup" className="thead">
      <div role="row" className="trow">
        {cells.map(([text, cls]) => (
          <span role="columnheader" className={cls} key={text}>
            {text}
          </span>
        ))}
      </div>
    </div>
  );
}

export function VpmemTable({ uvm }: { uvm: string }) {
  const vpmem = useReplica((s) => s.views[uvm]?.vpmem);
  const count = useReplica((s) => s.views[uvm]?.view.options.vpmemCount ?? 0);
  const parked = useReplica((s) => s.verify[uvm]?.report?.parkedVpmem.length ?? 0);
  const rows = useMemo(() => {
    if (!vpmem) return [];
    const keys: string[] = [];
    for (const k of vpmem.keys) {
      keys.push(`d:${k}`);
      for (const m of vpmem.byKey[k]?.mappings ?? []) keys.push(`m:${k}@${m.offset}`);
    }
    // By position: a device number may be given again once its first device was parked.
    for (let i = 0; i < parked; i += 1) keys.push(`p:${i}`);
    return keys;
  }, [vpmem, parked]);
  return (
    <div className="table vpmem" role="table" aria-label="vPMEM devices">
      <Header
        cells={[
          ['Device', 'c-num'],
          ['Host path', 'c-path'],
          ['Guest path', 'c-path'],
          ['Size', 'c-size'],
          ['Refs', 'c-num'],
        ]}
      />
      <VirtualRows
        keys={rows}
        estimateSize={34}
        role="rowgroup"
        label="vPMEM device rows"
        empty={
          <p className="empty">
            {count === 0
              ? 'This UVM has no vPMEM devices (WCOW, or a count of 0).'
              : 'No vPMEM devices attached.'}
          </p>
        }
        renderRow={(key) => {
          if (key.startsWith('d:')) return <VpmemDeviceRow uvm={uvm} device={key.slice(2)} />;
          if (key.startsWith('p:')) return <ParkedRow uvm={uvm} index={Number(key.slice(2))} />;
          const [device = '', offset = '0'] = key.slice(2).split('@');
          return <VpmemMappingRow uvm={uvm} device={device} offset={Number(offset)} />;
        }}
      />
    </div>
  );
}

const VsmbRow = memo(function VsmbRow({ uvm, name }: { uvm: string; name: string }) {
  const share = useReplica((s) => s.views[uvm]?.vsmb.byKey[name]);
  if (!share) return null;
  const options = Object.entries(share.options)
    .filter(([, on]) => on)
    .map(([o]) => o)
    .join(', ');
  return (
    <DeviceRow uvm={uvm} deviceKey={vsmbKey(name)}>
      <span role="cell" className="c-num">
        {share.name}
      </span>
      <span role="cell" className="c-path" title={share.hostPath}>
        {share.hostPath}
      </span>
      <span role="cell" className="c-path" title={share.uvmPath}>
        {share.uvmPath}
      </span>
      <span role="cell" className="c-opts" title={options}>
        {options || '—'}
      </span>
      <span role="cell" className="c-num">
        {share.refCount}
      </span>
    </DeviceRow>
  );
});

export function VsmbTable({ uvm }: { uvm: string }) {
  const keys = useReplica((s) => s.views[uvm]?.vsmb.keys);
  return (
    <div className="table vsmb" role="table" aria-label="VSMB shares">
      <Header
        cells={[
          ['Name', 'c-num'],
          ['Host path', 'c-path'],
          ['Guest path', 'c-path'],
          ['Options', 'c-opts'],
          ['Refs', 'c-num'],
        ]}
      />
      <VirtualRows
        keys={keys ?? []}
        estimateSize={34}
        role="rowgroup"
        label="VSMB share rows"
        empty={<p className="empty">No VSMB shares.</p>}
        renderRow={(name) => <VsmbRow uvm={uvm} name={name} />}
      />
    </div>
  );
}
