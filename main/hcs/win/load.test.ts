import { describe, expect, it } from 'vitest';
import { UvmLayersError } from '../../engine/errors.js';
import { createHcsBackend } from './backend.js';
import { isHcsAvailable, loadHcsBackend } from './load.js';

describe.skipIf(process.platform === 'win32')('the hcs backend off Windows', () => {
  it('loadHcsBackend says what is missing and to use --backend sim', () => {
    let error: unknown;
    try {
      loadHcsBackend();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UvmLayersError);
    expect((error as UvmLayersError).code).toBe('BACKEND_UNAVAILABLE');
    expect((error as UvmLayersError).message).toBe(
      `the hcs backend needs Windows with the Containers and Hyper-V features (computecore.dll could not be loaded: this is ${process.platform}, not Windows); use --backend sim`,
    );
  });

  it('createHcsBackend without a library object fails the same way', () => {
    expect(() => createHcsBackend()).toThrow(/^the hcs backend needs Windows .* use --backend sim$/);
  });

  it('isHcsAvailable is false, so sim stays the default', () => {
    expect(isHcsAvailable()).toBe(false);
  });
});
