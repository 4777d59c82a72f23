/**
 * A recording stand-in for vmcompute.dll's wclayer functions with the koffi binding's
 * signatures. It keeps which layers are activated and prepared, answers NameToGuid with a
 * fixed, test-chosen mapping (the real algorithm is not published), and fills the
 * GetLayerMountPath buffer the way the DLL does.
 */
import type { DriverInfo, Guid, VmComputeApi, WcLayerDescriptor } from '../vmcompute.js';
import { parseGuid } from '../vmcompute.js';
import type { Out } from '../ffi.js';
import { HRESULT } from '../../main/hcs/hresult.js';
import { OUT, type FakeCall } from './fake-computecore.js';

type Fn = keyof VmComputeApi;

export class FakeVmCompute implements VmComputeApi {
  readonly calls: FakeCall[] = [];
  readonly activated = new Set<string>();
  readonly prepared = new Map<string, WcLayerDescriptor[]>();
  readonly grants: { vmId: string; filePath: string }[] = [];
  /** name → GUID text that NameToGuid answers; unknown names get 00000000-...-<n>. */
  readonly guids = new Map<string, string>();
  /** The volume path GetLayerMountPath reports for an activated layer. */
  volumeOf = (_layerPath: string): string => '\\\\?\\Volume{0c4a6a53-5a8b-4d8c-9e3e-0123456789ab}\\';
  /** Resolves while a PrepareLayer call is inside the DLL: to check calls are serialised. */
  prepareGate: Promise<void> | undefined;
  private inPrepare = 0;
  maxConcurrentPrepares = 0;
  private readonly failures = new Map<Fn, number[]>();

  /** The next call of `fn` returns `hr`. */
  fail(fn: Fn, hr: number): this {
    const queue = this.failures.get(fn) ?? [];
    queue.push(hr);
    this.failures.set(fn, queue);
    return this;
  }

  async ActivateLayer(info: DriverInfo, id: string): Promise<number> {
    const hr = await this.enter('ActivateLayer', [info, id]);
    if (hr === HRESULT.S_OK) this.activated.add(id);
    return hr;
  }

  async PrepareLayer(
    info: DriverInfo,
    id: string,
    descriptors: readonly WcLayerDescriptor[] | null,
    count: number,
  ): Promise<number> {
    this.inPrepare++;
    this.maxConcurrentPrepares = Math.max(this.maxConcurrentPrepares, this.inPrepare);
    try {
      const hr = await this.enter('PrepareLayer', [info, id, descriptors, count]);
      if (this.prepareGate !== undefined) await this.prepareGate;
      if (hr === HRESULT.S_OK) this.prepared.set(id, [...(descriptors ?? [])]);
      return hr;
    } finally {
      this.inPrepare--;
    }
  }

  async GetLayerMountPath(
    info: DriverInfo,
    id: string,
    length: Out<number | bigint>,
    buffer: Buffer | null,
  ): Promise<number> {
    const hr = await this.enter('GetLayerMountPath', [info, id, OUT, buffer === null ? null : `<buffer ${buffer.length}>`]);
    if (hr !== HRESULT.S_OK) return hr;
    if (!this.activated.has(id)) return HRESULT.ERROR_NOT_READY;
    const path = this.volumeOf(id);
    const needed = path.length + 1;
    if (buffer === null) {
      length[0] = needed;
      return HRESULT.S_OK;
    }
    if (buffer.length < needed * 2) return HRESULT.E_INVALIDARG;
    buffer.write(`${path}\0`, 'utf16le');
    length[0] = needed;
    return HRESULT.S_OK;
  }

  async UnprepareLayer(info: DriverInfo, id: string): Promise<number> {
    const hr = await this.enter('UnprepareLayer', [info, id]);
    if (hr === HRESULT.S_OK) this.prepared.delete(id);
    return hr;
  }

  async DeactivateLayer(info: DriverInfo, id: string): Promise<number> {
    const hr = await this.enter('DeactivateLayer', [info, id]);
    if (hr === HRESULT.S_OK) this.activated.delete(id);
    return hr;
  }

  async NameToGuid(name: string, guid: Out<Guid>): Promise<number> {
    const hr = await this.enter('NameToGuid', [name, OUT]);
    if (hr !== HRESULT.S_OK) return hr;
    const known = this.guids.get(name) ?? `00000000-0000-0000-0000-${(this.guids.size + 1).toString(16).padStart(12, '0')}`;
    this.guids.set(name, known);
    guid[0] = parseGuid(known);
    return HRESULT.S_OK;
  }

  async GrantVmAccess(vmId: string, filePath: string): Promise<number> {
    const hr = await this.enter('GrantVmAccess', [vmId, filePath]);
    if (hr === HRESULT.S_OK) this.grants.push({ vmId, filePath });
    return hr;
  }

  sequence(): string[] {
    return this.calls.map((c) => c.fn);
  }

  callsOf(fn: Fn): unknown[][] {
    return this.calls.filter((c) => c.fn === fn).map((c) => c.args);
  }

  private async enter(fn: Fn, args: unknown[]): Promise<number> {
    this.calls.push({ fn, args });
    await Promise.resolve();
    return this.failures.get(fn)?.shift() ?? HRESULT.S_OK;
  }
}
