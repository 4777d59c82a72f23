/**
 * The HCS request log, live and newest first: filter by UVM, resource and result; expand an entry
 * for its raw JSON; export what is shown as JSON lines.
 */
import { memo, useMemo, useState } from 'react';
import { useServices, useReplica, useUi } from '../app-context.js';
import {
  HOST_FILTER,
  RESOURCES,
  exportLines,
  matchesFilter,
  resourceOf,
  summarize,
} from '../state/log-view.js';
import { VirtualRows } from './VirtualRows.js';

const LogRow = memo(function LogRow({
  seq,
  expanded,
  onToggle,
}: {
  seq: number;
  expanded: boolean;
  onToggle: (seq: number) => void;
}) {
  const entry = useReplica((s) => {
    // The log is ascending by seq and dense in practice: look near the expected index first.
    const log = s.log;
    const guess = log.length - 1 - ((log.at(-1)?.seq ?? 0) - seq);
    const hit = log[guess];
    return hit?.seq === seq ? hit : log.find((e) => e.seq === seq);
  });
  if (!entry) return null;
  const time = entry.time.replace('T', ' ').replace('Z', '');
  return (
    <div role="listitem" className={`log-entry ${entry.ok ? 'ok' : 'failed'}`}>
      <button
        type="button"
        className="log-summary"
        aria-expanded={expanded}
        onClick={() => onToggle(seq)}
      >
        <span className="c-seq">#{entry.seq}</span>
        <span className="c-time">{time}</span>
        <span className="c-uvm">{entry.uvm ?? 'host'}</span>
        <span className="c-res">{resourceOf(entry)}</span>
        <span className="c-req">{summarize(entry.request)}</span>
        <span className={`c-result ${entry.ok ? 'ok' : 'failed'}`}>
          {entry.ok ? 'OK' : 'failed'}
        </span>
        <span className="c-ms">{entry.ms} ms</span>
      </button>
      {!entry.ok && entry.error ? (
        <p className="log-error">
          {entry.error.message}
          {entry.error.hresult ? ` (${entry.error.hresult})` : ''}
        </p>
      ) : null}
      {expanded ? (
        <pre className="log-json" tabIndex={0} aria-label={`Raw JSON of request ${entry.seq}`}>
          {JSON.stringify(entry, null, 2)}
        </pre>
      ) : null}
    </div>
  );
});

export function LogView() {
  const { ui } = useServices();
  const log = useReplica((s) => s.log);
  const uvmIds = useReplica((s) => s.uvms.keys);
  const filter = useUi((s) => s.logFilter);
  const [expanded, setExpanded] = useState<ReadonlySet<number>>(new Set());
  const shown = useMemo(() => {
    const out = [];
    for (let i = log.length - 1; i >= 0; i -= 1) {
      const e = log[i];
      if (e && matchesFilter(e, filter)) out.push(e);
    }
    return out;
  }, [log, filter]);
  const keys = useMemo(() => shown.map((e) => String(e.seq)), [shown]);
  const toggle = useMemo(
    () => (seq: number) =>
      setExpanded((prev) => {
        const next = new Set(prev);
        if (next.has(seq)) next.delete(seq);
        else next.add(seq);
        return next;
      }),
    [],
  );
  const setFilter = (change: Partial<typeof filter>) =>
    ui.setState({ logFilter: { ...filter, ...change } });

  const exportLog = () => {
    const blob = new Blob([exportLines(shown)], { type: 'application/x-ndjson' });
    const url = URL.createObjectURL(blob);
    const a = document.createElement('a');
    a.href = url;
    a.download = `uvm-layers-log-${new Date().toISOString().replace(/[:.]/g, '-')}.jsonl`;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  };

  return (
    <div className="log-page">
      <header className="page-head">
        <h2>HCS request log</h2>
        <div className="toolbar" role="group" aria-label="Log filters">
          <label>
            UVM
            <select value={filter.uvm} onChange={(e) => setFilter({ uvm: e.target.value })}>
              <option value="">All</option>
              <option value={HOST_FILTER}>Host mounts</option>
              {uvmIds.map((id) => (
                <option key={id} value={id}>
                  {id}
                </option>
              ))}
            </select>
          </label>
          <label>
            Resource
            <select
              value={filter.resource}
              onChange={(e) => setFilter({ resource: e.target.value })}
            >
              <option value="">All</option>
              {RESOURCES.map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </select>
          </label>
          <label>
            Result
            <select
              value={filter.result}
              onChange={(e) => setFilter({ result: e.target.value as typeof filter.result })}
            >
              <option value="all">All</option>
              <option value="ok">OK</option>
              <option value="failed">Failed</option>
            </select>
          </label>
          <span className="muted" aria-live="polite">
            {shown.length} of {log.length}
          </span>
          <button type="button" onClick={exportLog} disabled={shown.length === 0}>
            Export…
          </button>
        </div>
      </header>
      <VirtualRows
        keys={keys}
        estimateSize={36}
        measure
        role="list"
        label="HCS requests, newest first"
        className="log-list"
        empty={
          <p className="empty">
            {log.length === 0 ? 'No requests logged yet.' : 'No request matches the filters.'}
          </p>
        }
        renderRow={(key) => (
          <LogRow seq={Number(key)} expanded={expanded.has(Number(key))} onToggle={toggle} />
        )}
      />
    </div>
  );
}
