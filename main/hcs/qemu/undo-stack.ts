/**
 * The steps already done by a document that must be undone if a later step fails, so a
 * refused document leaves QEMU and the guest as they were (like HCS and the simulator).
 */
import { UvmLayersError, toUvmLayersError } from '../../engine/errors.js';

export interface UndoStep {
  label: string;
  run: () => Promise<void>;
}

export class UndoStack {
  private readonly steps: UndoStep[] = [];

  push(label: string, run: () => Promise<void>): UndoStep {
    const step = { label, run };
    this.steps.push(step);
    return step;
  }

  /** Forgets a step that no longer applies (its effect was consumed by a later step). */
  drop(step: UndoStep): void {
    const index = this.steps.indexOf(step);
    if (index >= 0) this.steps.splice(index, 1);
  }

  /**
   * Runs the steps newest first, every one even when some fail, and rethrows `failure`: as is
   * when everything was undone, or as ROLLBACK_FAILED naming what is left behind.
   */
  async unwindAndThrow(failure: unknown): Promise<never> {
    const problems: UvmLayersError[] = [];
    for (const step of this.steps.splice(0).reverse()) {
      try {
        await step.run();
      } catch (error) {
        const inner = toUvmLayersError(error);
        problems.push(
          new UvmLayersError(inner.code, `${step.label}: ${inner.message}`, { causes: [inner] }),
        );
      }
    }
    if (problems.length === 0) throw failure;
    const primary = toUvmLayersError(failure);
    throw new UvmLayersError(
      'ROLLBACK_FAILED',
      `${primary.message}; undoing the steps already done also failed: ${problems
        .map((p) => p.message)
        .join('; ')}`,
      {
        ...(primary.hresult === undefined ? {} : { hresult: primary.hresult }),
        causes: [primary, ...problems],
      },
    );
  }
}
