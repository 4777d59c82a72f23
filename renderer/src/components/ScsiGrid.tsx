/**
 * The SCSI slots of a UVM: one 8×8 grid of 64 LUNs per controller. Each occupied cell shows what
 * holds it (L read-only layer, S scratch, R reserved by the UVM itself) and its ref count. Arrow
 * keys move between cells; Enter or a click opens the device in the detail pane.
 */
import { memo, useRef, useState, type KeyboardEvent } from 'react';
import { useServices, useReplica, useUi } from '../app-context.js';
import { scsiKey } from '../state/devices.js';

const LUNS = 64;
const COLUMNS = 8;

const Cell = memo(function Cell({
  uvm,
  controller,
  lun,
  active,
}: {
  uvm: string;
  controller: number;
  lun: number;
  active: boolean;
}) {
  const { ui } = useServices();
  const slot = `${controller}:${lun}`;
  const attachment = useReplica((s) => s.views[uvm]?.scsi.byKey[slot]);
  const reserved = useReplica((s) => s.views[uvm]?.reserved.byKey[slot]);
  const key = scsiKey(controller, lun);
  const selected = useUi((s) => s.device?.uvm === uvm && s.device.key === key);
  let kind = 'empty';
  let label = `LUN ${lun}: empty`;
  let text = '';
  if (attachment) {
    kind = attachment.readOnly ? 'layer' : 'scratch';
    text = `${attachment.readOnly ? 'L' : 'S'}${attachment.refCount}`;
    label = `LUN ${lun}: ${attachment.readOnly ? 'read-only layer' : 'scratch'}, ${attachment.refCount} ref${attachment.refCount === 1 ? '' : 's'}`;
  } else if (reserved) {
    kind = 'reserved';
    text = 'R';
    label = `LUN ${lun}: reserved (${reserved.purpose})`;
  }
  const occupied = kind !== 'empty';
  return (
    <div
      role="gridcell"
      className={`scsi-cell ${kind} ${selected ? 'selected' : ''}`}
      aria-selected={occupied ? selected : undefined}
      tabIndex={active ? 0 : -1}
      data-controller={controller}
      data-lun={lun}
      title={attachment ? `${attachment.hostPath}\n→ ${attachment.uvmPath}` : label}
      onClick={occupied ? () => ui.setState({ device: { uvm, key } }) : undefined}
      onKeyDown={(e) => {
        if (occupied && (e.key === 'Enter' || e.key === ' ')) {
          e.preventDefault();
          ui.setState({ device: { uvm, key } });
        }
      }}
    >
      {/* The cell is named by the hidden sentence; the compact marks are for the eye only. */}
      <span className="lun" aria-hidden="true">
        {lun}
      </span>
      <span className="cell-text" aria-hidden="true">
        {text}
      </span>
      <span className="visually-hidden">{label}</span>
    </div>
  );
});

function Controller({ uvm, controller }: { uvm: string; controller: number }) {
  const [active, setActive] = useState(0);
  const ref = useRef<HTMLDivElement>(null);
  const used = useReplica((s) => {
    const v = s.views[uvm];
    if (!v) return 0;
    let n = 0;
    for (const k of v.scsi.keys) if (k.startsWith(`${controller}:`)) n += 1;
    for (const k of v.reserved.keys) if (k.startsWith(`${controller}:`)) n += 1;
    return n;
  });
  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    const moves: Record<string, number> = {
      ArrowRight: 1,
      ArrowLeft: -1,
      ArrowDown: COLUMNS,
      ArrowUp: -COLUMNS,
      Home: -active,
      End: LUNS - 1 - active,
    };
    const delta = moves[event.key];
    if (delta === undefined) return;
    event.preventDefault();
    const next = Math.min(LUNS - 1, Math.max(0, active + delta));
    setActive(next);
    ref.current?.querySelector<HTMLElement>(`[data-lun="${next}"]`)?.focus();
  };
  const rows = Array.from({ length: LUNS / COLUMNS }, (_, r) => r);
  return (
    <section className="scsi-controller">
      <h4>
        Controller {controller} <span className="muted">({used}/64 used)</span>
      </h4>
      <div
        ref={ref}
        role="grid"
        aria-label={`SCSI controller ${controller}`}
        className="scsi-grid"
        onKeyDown={onKeyDown}
      >
        {rows.map((r) => (
          <div role="row" key={r} className="scsi-row">
            {Array.from({ length: COLUMNS }, (_, c) => r * COLUMNS + c).map((lun) => (
              <Cell key={lun} uvm={uvm} controller={controller} lun={lun} active={lun === active} />
            ))}
          </div>
        ))}
      </div>
    </section>
  );
}

export function ScsiGrid({ uvm }: { uvm: string }) {
  const controllers = useReplica((s) => s.views[uvm]?.view.options.scsiControllers ?? 0);
  if (controllers === 0) return <p className="empty">This UVM has no SCSI controllers.</p>;
  return (
    <div className="scsi">
      <div className="scsi-controllers">
        {Array.from({ length: controllers }, (_, c) => (
          <Controller key={c} uvm={uvm} controller={c} />
        ))}
      </div>
      <p className="legend">
        <span className="scsi-cell layer swatch" aria-hidden="true" /> L read-only layer
        <span className="scsi-cell scratch swatch" aria-hidden="true" /> S scratch
        <span className="scsi-cell reserved swatch" aria-hidden="true" /> R reserved
        <span className="muted"> · the number is the ref count</span>
      </p>
    </div>
  );
}
