/**
 * Counts the HCS requests a backend instance sends (modify documents and wclayer calls) and
 * fails the N-th one when `--sim-fail-at N` asked for it.
 */
import { UvmLayersError } from '../../engine/errors.js';
import { refuse } from './sim-errors.js';

export interface RequestCounter {
  readonly count: number;
  /** Counts one request; throws the simulated failure when it is the N-th. */
  next(): void;
}

export function createRequestCounter(failAt: number | undefined): RequestCounter {
  if (failAt !== undefined && (!Number.isSafeInteger(failAt) || failAt < 1)) {
    throw new UvmLayersError(
      'INVALID_ARGUMENT',
      `--sim-fail-at must be a positive integer, got ${String(failAt)}`,
    );
  }
  let count = 0;
  return {
    get count() {
      return count;
    },
    next() {
      count += 1;
      if (count === failAt) throw refuse.simulatedFailure(count);
    },
  };
}
