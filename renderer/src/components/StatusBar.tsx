/** The status bar: backend and state folder, running and failed tasks (expandable), last change. */
import { useSyncExternalStore } from 'react';
import { useServices, useReplica, useTasks, useUi } from '../app-context.js';
import { clearFinished, dismissTask } from '../state/tasks.js';
import { ErrorText } from './ErrorText.js';
import { StepList } from './StepList.js';

function TaskPanel() {
  const { tasks, ui } = useServices();
  const order = useTasks((s) => s.order);
  const byId = useTasks((s) => s.byId);
  return (
    <section className="task-panel" aria-label="Tasks">
      <header className="detail-head">
        <h3>Tasks</h3>
        <button type="button" onClick={() => clearFinished(tasks)}>
          Clear finished
        </button>
        <button
          type="button"
          className="icon"
          aria-label="Close tasks"
          onClick={() => ui.setState({ tasksOpen: false })}
        >
          ×
        </button>
      </header>
      {order.length === 0 ? <p className="muted">No tasks yet.</p> : null}
      <ul className="task-list">
        {order.map((id) => {
          const t = byId[id];
          if (!t) return null;
          return (
            <li key={id} className={`task ${t.status}`}>
              <div className="task-head">
                <strong>{t.title}</strong>{' '}
                <span
                  className={`badge ${t.status === 'failed' ? 'error' : t.status === 'running' ? 'busy' : 'ok'}`}
                >
                  {t.status}
                </span>
                {t.status !== 'running' ? (
                  <button type="button" className="link" onClick={() => dismissTask(tasks, id)}>
                    Dismiss
                  </button>
                ) : null}
              </div>
              <StepList steps={t.steps} label={`Steps of ${t.title}`} />
              {t.error ? <ErrorText error={t.error} live={false} /> : null}
            </li>
          );
        })}
      </ul>
    </section>
  );
}

/**
 * The `serve` bridge marks the page `data-connection="lost"` while its socket reconnects (the
 * desktop app never does); the renderer only reads the mark, it knows nothing of the transport.
 */
function subscribeConnection(callback: () => void): () => void {
  const observer = new MutationObserver(callback);
  observer.observe(document.documentElement, {
    attributes: true,
    attributeFilter: ['data-connection'],
  });
  return () => observer.disconnect();
}
const connectionLost = (): boolean => document.documentElement.dataset.connection === 'lost';

export function StatusBar() {
  const lost = useSyncExternalStore(subscribeConnection, connectionLost);
  const { ui } = useServices();
  const info = useReplica((s) => s.info);
  const phase = useReplica((s) => s.phase);
  const revision = useReplica((s) => s.revision);
  const running = useTasks((s) => s.order.filter((id) => s.byId[id]?.status === 'running').length);
  const failed = useTasks((s) => s.order.filter((id) => s.byId[id]?.status === 'failed').length);
  const open = useUi((s) => s.tasksOpen);
  return (
    <>
      {open ? <TaskPanel /> : null}
      <footer className="statusbar">
        <span>
          {info
            ? `${info.backend} backend · ${info.host === 'web' ? 'serve' : 'desktop'} · ${info.stateDir}`
            : 'connecting…'}
        </span>
        <span className="spacer" />
        <span role="status" aria-live="polite" className="task-status">
          {phase === 'failed' || lost ? 'not connected, retrying · ' : ''}
          {running > 0 ? `${running} task${running === 1 ? '' : 's'} running` : 'idle'}
          {failed > 0 ? ` · ${failed} failed` : ''}
        </span>
        <button
          type="button"
          className="link"
          aria-expanded={open}
          onClick={() => ui.setState({ tasksOpen: !open })}
        >
          Tasks
        </button>
        <span className="muted" title="Revision of the last state change applied">
          rev {revision}
        </span>
      </footer>
    </>
  );
}
