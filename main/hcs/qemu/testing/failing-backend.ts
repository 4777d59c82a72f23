/** A backend whose `n`-th modify (1-based) fails before it reaches QEMU, as a refused document. */
import { HcsError, type HcsBackend } from '../../backend.js';
import { HRESULT } from '../../hresult.js';
import type { QemuBackend } from '../qemu-backend.js';

export function failingAt(backend: QemuBackend, n: number): HcsBackend {
  let count = 0;
  return new Proxy(backend, {
    get(target, key, receiver) {
      if (key === 'modify') {
        return (id: string, doc: Parameters<HcsBackend['modify']>[1]) =>
          ++count === n
            ? Promise.reject(new HcsError(HRESULT.E_FAIL, `injected failure of modify ${n}`))
            : target.modify(id, doc);
      }
      // The test closes the real backend itself.
      if (key === 'close') return () => Promise.resolve();
      return Reflect.get(target, key, receiver) as unknown;
    },
  });
}
