/**
 * Runs a synchronous sim step as an HCS call: the result or the thrown refusal arrives as a
 * settled promise, never as a synchronous throw.
 */
export function callAsync<T>(step: () => T): Promise<T> {
  return new Promise<T>((resolve) => resolve(step()));
}
