/**
 * Everything about one device: host and guest path, ref count, the containers that hold it (and
 * as which layer), and the HCS requests that touched it, newest first, raw JSON on expand.
 */
import { useMemo } from 'react';
import { useServices, useReplica, useUi } from '../app-context.js';
import { describeDevice, holdersOf, requestTouches } from '../state/devices.js';
import { summarize } from '../state/log-view.js';

const MAX_REQUESTS = 100;

export function DetailPane() {
  const { ui } = useServices();
  const device = useUi((s) => s.device);
  const indexed = useReplica((s) => (device ? s.views[device.uvm] : undefined));
  const containers = useReplica((s) => (device ? s.containers[device.uvm] : undefined));
  const log = useReplica((s) => s.log);
  const detail = useMemo(
    () => (device && indexed ? describeDevice(indexed.view, device.key) : undefined),
    [device, indexed],
  );
  const holders = useMemo(() => {
    if (!device || !containers) return [];
    return holdersOf(
      device.key,
      containers.keys.map((k) => containers.byKey[k]).filter((c) => c !== undefined),
    );
  }, [device, containers]);
  const requests = useMemo(() => {
    if (!device) return [];
    const found = [];
    for (let i = log.length - 1; i >= 0 && found.length < MAX_REQUESTS; i -= 1) {
      const entry = log[i];
      if (entry && requestTouches(entry, device.uvm, device.key, detail?.hostPath ?? null))
        found.push(entry);
    }
    return found;
  }, [device, log, detail]);

  if (!device) return null;
  const close = () => ui.setState({ device: null });
  return (
    <aside className="detail" aria-label="Device details">
      <header className="detail-head">
        <h3>{detail?.title ?? device.key}</h3>
        <button type="button" className="icon" aria-label="Close details" onClick={close}>
          ×
        </button>
      </header>
      {!detail ? (
        <p className="muted">This device is no longer attached.</p>
      ) : (
        <dl className="facts">
          <dt>Host path</dt>
          <dd>{detail.hostPath ?? '—'}</dd>
          <dt>Guest path</dt>
          <dd>{detail.uvmPath ?? '—'}</dd>
          <dt>Ref count</dt>
          <dd>{detail.refCount}</dd>
          {detail.facts.map(([k, v]) => (
            <FactRow key={k} name={k} value={v} />
          ))}
        </dl>
      )}
      <section aria-labelledby="holders-heading">
        <h4 id="holders-heading">Held by</h4>
        {holders.length === 0 ? (
          <p className="muted">No container holds this device.</p>
        ) : (
          <ul className="holders" aria-label="Containers holding this device">
            {holders.map((h) => (
              <li key={`${h.guestRoot}:${h.role}:${h.index}`}>
                <strong>{h.guestRoot}</strong>{' '}
                <span className="muted">
                  as {h.role === 'scratch' ? 'scratch' : `layer ${h.index + 1}`} ({h.folder})
                  {h.released ? ', released' : ''}
                </span>
              </li>
            ))}
          </ul>
        )}
      </section>
      <section aria-labelledby="requests-heading">
        <h4 id="requests-heading">HCS requests</h4>
        {requests.length === 0 ? (
          <p className="muted">No logged request touched this device.</p>
        ) : (
          <ul className="requests" aria-label="HCS requests that touched this device">
            {requests.map((e) => (
              <li key={e.seq} className={e.ok ? '' : 'failed'}>
                <details>
                  <summary>
                    #{e.seq} {summarize(e.request)} {e.ok ? '' : '— failed'}{' '}
                    <span className="muted">{e.ms} ms</span>
                  </summary>
                  <pre tabIndex={0}>
                    {JSON.stringify(
                      e.error ? { request: e.request, error: e.error } : e.request,
                      null,
                      2,
                    )}
                  </pre>
                </details>
              </li>
            ))}
          </ul>
        )}
      </section>
    </aside>
  );
}

function FactRow({ name, value }: { name: string; value: string }) {
  return (
    <>
      <dt>{name}</dt>
      <dd>{value}</dd>
    </>
  );
}
