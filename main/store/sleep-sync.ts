/**
 * A synchronous pause for the few places that must wait without returning to the event loop
 * (a short lock held by another process, a Windows rename blocked by a scanner). Atomics.wait
 * sleeps the thread instead of spinning the CPU; it is allowed on Node's main thread.
 */
const cell = new Int32Array(new SharedArrayBuffer(4));

export function sleepSync(ms: number): void {
  Atomics.wait(cell, 0, 0, ms);
}
