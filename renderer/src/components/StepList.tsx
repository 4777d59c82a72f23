/** The live steps of an operation: each device add, the scratch, the combine; rollback marked. */
import type { OperationStep } from '../../../main/engine/service-api.js';

const ICON: Record<OperationStep['status'], string> = { running: '…', done: '✓', failed: '✗' };

export function StepList({
  steps,
  label = 'Progress',
}: {
  steps: readonly OperationStep[];
  label?: string;
}) {
  if (steps.length === 0) return <p className="muted">Starting…</p>;
  return (
    <ol className="steps" aria-label={label} aria-live="polite">
      {steps.map((step) => (
        <li
          key={step.index}
          className={`step ${step.status} ${step.rollback ? 'rollback' : ''}`}
          data-status={step.status}
        >
          <span className="step-icon" aria-hidden="true">
            {ICON[step.status]}
          </span>
          <span className="step-label">
            {step.rollback ? <span className="badge warn">rollback</span> : null} {step.label}
          </span>
          <span className="visually-hidden">, {step.status}</span>
          {step.error ? <span className="step-error">{step.error.message}</span> : null}
        </li>
      ))}
    </ol>
  );
}
