/**
 * "Read back from the VM" (qemu backend only): what QEMU (QMP) and the guest agent really hold,
 * against the ledger. It says so when they match, lists each mismatch (kind, subject, message)
 * when they do not, and counts the parked vPMEM devices (listed in the vPMEM tab). The sync
 * engine reads back when the UVM is opened and after its changes settle; "Check again" asks now.
 */
import { useId } from 'react';
import type { VerifyReport } from '../../../main/engine/views.js';
import { useReplica, useServices } from '../app-context.js';
import { ErrorText } from './ErrorText.js';

type Mismatch = VerifyReport['mismatches'][number];

function MismatchItem({ mismatch }: { mismatch: Mismatch }) {
  const detail = [
    mismatch.expected === undefined ? null : `ledger: ${mismatch.expected}`,
    mismatch.actual === undefined ? null : `VM: ${mismatch.actual}`,
  ]
    .filter((x) => x !== null)
    .join(' · ');
  return (
    <li title={detail || undefined}>
      <span className="badge error">{mismatch.kind}</span> <code>{mismatch.subject}</code>{' '}
      {mismatch.message}
    </li>
  );
}

function Summary({ report, checked }: { report: VerifyReport | null; checked: boolean }) {
  const { ui } = useServices();
  if (!checked) return <span className="muted">Reading back…</span>;
  if (report === null) return <span className="muted">This backend cannot read its VM back.</span>;
  const n = report.mismatches.length;
  const parked = report.parkedVpmem.length;
  return (
    <>
      {n === 0 ? (
        <span className="readback-ok">✓ QEMU and the guest match the ledger ({report.state})</span>
      ) : (
        <span className="readback-bad">
          ⚠ {n} mismatch{n === 1 ? '' : 'es'} with the ledger ({report.state})
        </span>
      )}
      {parked > 0 ? (
        <button type="button" className="link" onClick={() => ui.setState({ tab: 'vpmem' })}>
          {parked} parked vPMEM device{parked === 1 ? '' : 's'}
        </button>
      ) : null}
    </>
  );
}

export function ReadBackStrip({ uvm }: { uvm: string }) {
  const { sync } = useServices();
  const state = useReplica((s) => s.verify[uvm]);
  const headingId = useId();
  const report = state?.report ?? null;
  const bad = (report?.mismatches.length ?? 0) > 0 || Boolean(state?.error);
  return (
    <section className={`readback${bad ? ' bad' : ''}`} aria-labelledby={headingId}>
      <div className="readback-head">
        <h3 id={headingId}>Read back from the VM</h3>
        <span className="readback-summary" aria-live="polite">
          <Summary report={report} checked={state?.checkedAt != null} />
        </span>
        <span className="spacer" />
        <span className="muted">
          {state?.checking
            ? 'checking…'
            : state?.checkedAt
              ? `checked ${new Date(state.checkedAt).toLocaleTimeString()}`
              : ''}
        </span>
        <button type="button" onClick={() => sync.checkUvm(uvm)}>
          Check again
        </button>
      </div>
      {state?.error ? <ErrorText error={state.error} live={false} /> : null}
      {report && report.mismatches.length > 0 ? (
        <ul className="mismatches" aria-label="Mismatches with the ledger">
          {report.mismatches.map((m, i) => (
            <MismatchItem key={i} mismatch={m} />
          ))}
        </ul>
      ) : null}
    </section>
  );
}
