/**
 * A recording stand-in for computecore.dll with the same signatures as the koffi binding, for
 * tests on machines without Windows. It behaves like a small HCS (systems are created, started,
 * modified, enumerated, terminated) and checks the caller's discipline: every operation and
 * handle closed once, every result string freed once, nothing used after close or free.
 * Scripts queued per function override the emulation for one call each.
 */
import type { ComputeCoreApi, HcsOperation, HcsResultString, HcsSystem } from '../computecore.js';
import type { Out } from '../ffi.js';
import { HRESULT } from '../../main/hcs/hresult.js';

/** How one wait (or HcsGetOperationResult) answers. */
export interface FakeAnswer {
  hr: number;
  /** Allocated as a result string and handed out through the out parameter. */
  document?: string;
  /** The call does not return until this settles (to observe what happens meanwhile). */
  gate?: Promise<void>;
}

/** Overrides one call of a function. */
export interface FakeScript {
  /** What the call itself returns (default S_OK). */
  call?: number;
  /** The call rejects with this (a failure of the FFI call itself, not an HRESULT). */
  throws?: Error;
  /** Successive answers of HcsWaitForOperationResult before the final one. */
  waits?: FakeAnswer[];
  /** The final answer (default: what the emulation decides). */
  outcome?: FakeAnswer;
  /** What HcsGetOperationResult answers for this operation. */
  result?: FakeAnswer;
}

export interface FakeSystem {
  id: string;
  configuration: unknown;
  state: 'Created' | 'Running' | 'Stopped';
  owner: string;
  systemType: string;
  runtimeOsType?: string;
  modifications: unknown[];
}

export interface FakeCall {
  fn: string;
  args: unknown[];
}

/** Stands for an out parameter in recorded arguments. */
export const OUT = '<out>';

type ScriptedFunction =
  | 'HcsEnumerateComputeSystems'
  | 'HcsOpenComputeSystem'
  | 'HcsCreateComputeSystem'
  | 'HcsStartComputeSystem'
  | 'HcsShutDownComputeSystem'
  | 'HcsTerminateComputeSystem'
  | 'HcsModifyComputeSystem'
  | 'HcsGetComputeSystemProperties'
  | 'HcsGrantVmAccess'
  | 'HcsCancelOperation'
  | 'HcsWaitForOperationResult'
  | 'HcsGetOperationResult';

interface FakeOperation {
  closed: boolean;
  waits: FakeAnswer[];
  outcome: FakeAnswer;
  result: FakeAnswer | undefined;
  /** Side effects applied when the final answer succeeds. */
  commit: () => void;
}

const NOT_STARTED: FakeAnswer = { hr: HRESULT.HCS_E_OPERATION_NOT_STARTED_V2 };

export class FakeComputeCore implements ComputeCoreApi {
  readonly calls: FakeCall[] = [];
  /** Discipline breaches (double close, use after free, ...); tests expect none. */
  readonly violations: string[] = [];
  readonly systems = new Map<string, FakeSystem>();
  readonly grants: { vmId: string; filePath: string }[] = [];
  /** Frees, in order, by pointer. */
  readonly freed: HcsResultString[] = [];
  HcsGrantVmAccess?: (vmId: string, filePath: string) => Promise<number>;

  private nextHandle = 0x1000n;
  private readonly operations = new Map<HcsOperation, FakeOperation>();
  private readonly handles = new Map<HcsSystem, { id: string; closed: boolean }>();
  private readonly strings = new Map<HcsResultString, string>();
  private readonly scripts = new Map<ScriptedFunction, FakeScript[]>();

  constructor(options: { withGrant?: boolean } = {}) {
    if (options.withGrant ?? true) {
      this.HcsGrantVmAccess = async (vmId, filePath) => {
        const script = await this.enter('HcsGrantVmAccess', [vmId, filePath]);
        const hr = script?.call ?? HRESULT.S_OK;
        if ((hr | 0) >= 0) this.grants.push({ vmId, filePath });
        return hr;
      };
    }
  }

  /** Queues a script for the next call of `fn`. */
  script(fn: ScriptedFunction, script: FakeScript): this {
    const queue = this.scripts.get(fn) ?? [];
    queue.push(script);
    this.scripts.set(fn, queue);
    return this;
  }

  addSystem(system: Partial<FakeSystem> & { id: string }): FakeSystem {
    const full: FakeSystem = {
      configuration: undefined,
      state: 'Running',
      owner: 'someone-else',
      systemType: 'VirtualMachine',
      modifications: [],
      ...system,
    };
    this.systems.set(full.id, full);
    return full;
  }

  /** Names of the calls, in order. */
  sequence(): string[] {
    return this.calls.map((c) => c.fn);
  }

  callsOf(fn: string): unknown[][] {
    return this.calls.filter((c) => c.fn === fn).map((c) => c.args);
  }

  openOperationCount(): number {
    return [...this.operations.values()].filter((o) => !o.closed).length;
  }

  openHandleCount(): number {
    return [...this.handles.values()].filter((h) => !h.closed).length;
  }

  liveStringCount(): number {
    return this.strings.size;
  }

  /** Every string handed out was freed once, every handle closed once, nothing misused. */
  assertClean(): void {
    const problems = [...this.violations];
    if (this.openOperationCount() > 0) problems.push(`${this.openOperationCount()} operation(s) not closed`);
    if (this.openHandleCount() > 0) problems.push(`${this.openHandleCount()} compute-system handle(s) not closed`);
    if (this.strings.size > 0) problems.push(`${this.strings.size} result string(s) not freed`);
    if (problems.length > 0) throw new Error(`fake computecore: ${problems.join('; ')}`);
  }

  // ---- ComputeCoreApi ------------------------------------------------------------------------

  HcsCreateOperation(context: null, callback: null): HcsOperation | null {
    this.record('HcsCreateOperation', [context, callback]);
    const handle = this.allocate();
    this.operations.set(handle, { closed: false, waits: [], outcome: { hr: HRESULT.S_OK }, result: undefined, commit: () => {} });
    return handle;
  }

  HcsCloseOperation(operation: HcsOperation): void {
    this.record('HcsCloseOperation', [operation]);
    const op = this.operations.get(operation);
    if (op === undefined) this.violations.push(`HcsCloseOperation of unknown operation ${operation}`);
    else if (op.closed) this.violations.push(`HcsCloseOperation twice on ${operation}`);
    else op.closed = true;
  }

  async HcsCancelOperation(operation: HcsOperation): Promise<number> {
    const script = await this.enter('HcsCancelOperation', [operation]);
    this.operation(operation, 'HcsCancelOperation');
    return script?.call ?? HRESULT.S_OK;
  }

  async HcsWaitForOperationResult(
    operation: HcsOperation,
    timeoutMs: number,
    resultDocument: Out<HcsResultString>,
  ): Promise<number> {
    const script = await this.enter('HcsWaitForOperationResult', [operation, timeoutMs, OUT]);
    const op = this.operation(operation, 'HcsWaitForOperationResult');
    const answer = script?.outcome ?? op?.waits.shift() ?? op?.outcome ?? { hr: HRESULT.E_INVALIDARG };
    if (answer.gate !== undefined) await answer.gate;
    if (op !== undefined && answer === op.outcome && (answer.hr | 0) >= 0) {
      op.commit();
      op.commit = () => {};
    }
    return this.answer(answer, resultDocument);
  }

  async HcsGetOperationResult(operation: HcsOperation, resultDocument: Out<HcsResultString>): Promise<number> {
    const script = await this.enter('HcsGetOperationResult', [operation, OUT]);
    const op = this.operation(operation, 'HcsGetOperationResult');
    return this.answer(script?.outcome ?? op?.result ?? NOT_STARTED, resultDocument);
  }

  async HcsEnumerateComputeSystems(query: string | null, operation: HcsOperation): Promise<number> {
    return this.begin('HcsEnumerateComputeSystems', [query, operation], operation, () => ({
      answer: {
        hr: HRESULT.S_OK,
        document: JSON.stringify([...this.systems.values()].map((s) => this.propertiesOf(s))),
      },
    }));
  }

  async HcsOpenComputeSystem(id: string, requestedAccess: number, computeSystem: Out<HcsSystem>): Promise<number> {
    const script = await this.enter('HcsOpenComputeSystem', [id, requestedAccess, OUT]);
    if (script?.call !== undefined) return script.call;
    if (!this.systems.has(id)) return HRESULT.HCS_E_SYSTEM_NOT_FOUND_V2;
    computeSystem[0] = this.openHandle(id);
    return HRESULT.S_OK;
  }

  HcsCloseComputeSystem(computeSystem: HcsSystem): void {
    this.record('HcsCloseComputeSystem', [computeSystem]);
    const handle = this.handles.get(computeSystem);
    if (handle === undefined) this.violations.push(`HcsCloseComputeSystem of unknown handle ${computeSystem}`);
    else if (handle.closed) this.violations.push(`HcsCloseComputeSystem twice on ${computeSystem}`);
    else handle.closed = true;
  }

  async HcsCreateComputeSystem(
    id: string,
    configuration: string,
    operation: HcsOperation,
    securityDescriptor: null,
    computeSystem: Out<HcsSystem>,
  ): Promise<number> {
    const hr = await this.begin(
      'HcsCreateComputeSystem',
      [id, configuration, operation, securityDescriptor, OUT],
      operation,
      () => {
        if (this.systems.has(id)) return { answer: { hr: HRESULT.HCS_E_SYSTEM_ALREADY_EXISTS } };
        const parsed = JSON.parse(configuration) as { Owner?: string };
        return {
          answer: { hr: HRESULT.S_OK },
          commit: () => {
            this.systems.set(id, {
              id,
              configuration: parsed,
              state: 'Created',
              owner: parsed.Owner ?? '',
              systemType: 'VirtualMachine',
              modifications: [],
            });
          },
        };
      },
    );
    // HCS hands the handle out as soon as the call is accepted, before the operation completes.
    if ((hr | 0) >= 0) computeSystem[0] = this.openHandle(id);
    return hr;
  }

  HcsStartComputeSystem(computeSystem: HcsSystem, operation: HcsOperation, options: string | null): Promise<number> {
    return this.begin('HcsStartComputeSystem', [computeSystem, operation, options], operation, () =>
      this.onSystem(computeSystem, (s) => {
        s.state = 'Running';
      }),
    );
  }

  HcsShutDownComputeSystem(computeSystem: HcsSystem, operation: HcsOperation, options: string | null): Promise<number> {
    return this.begin('HcsShutDownComputeSystem', [computeSystem, operation, options], operation, () =>
      this.onSystem(computeSystem, (s) => {
        s.state = 'Stopped';
      }),
    );
  }

  HcsTerminateComputeSystem(computeSystem: HcsSystem, operation: HcsOperation, options: string | null): Promise<number> {
    return this.begin('HcsTerminateComputeSystem', [computeSystem, operation, options], operation, () =>
      this.onSystem(computeSystem, (s) => {
        this.systems.delete(s.id);
      }),
    );
  }

  HcsModifyComputeSystem(
    computeSystem: HcsSystem,
    operation: HcsOperation,
    configuration: string,
    identity: null,
  ): Promise<number> {
    return this.begin('HcsModifyComputeSystem', [computeSystem, operation, configuration, identity], operation, () =>
      this.onSystem(computeSystem, (s) => {
        s.modifications.push(JSON.parse(configuration));
      }),
    );
  }

  HcsGetComputeSystemProperties(
    computeSystem: HcsSystem,
    operation: HcsOperation,
    propertyQuery: string | null,
  ): Promise<number> {
    return this.begin('HcsGetComputeSystemProperties', [computeSystem, operation, propertyQuery], operation, () => {
      const system = this.systemOf(computeSystem);
      return system === undefined
        ? { answer: { hr: HRESULT.HCS_E_SYSTEM_NOT_FOUND_V2 } }
        : { answer: { hr: HRESULT.S_OK, document: JSON.stringify(this.propertiesOf(system)) } };
    });
  }

  LocalFree(memory: HcsResultString): void {
    this.record('LocalFree', [memory]);
    if (!this.strings.delete(memory)) this.violations.push(`LocalFree of ${memory}, which is not a live result string`);
    else this.freed.push(memory);
  }

  readWideString(pointer: HcsResultString): string {
    this.record('readWideString', [pointer]);
    const text = this.strings.get(pointer);
    if (text === undefined) {
      this.violations.push(`read of ${pointer}, which is not a live result string`);
      throw new Error(`fake: read of freed or unknown string ${pointer}`);
    }
    return text;
  }

  // ---- internals -----------------------------------------------------------------------------

  private record(fn: string, args: unknown[]): void {
    this.calls.push({ fn, args });
  }

  /** Records an async call, yields once (as the worker pool does), and applies a script's `throws`. */
  private async enter(fn: ScriptedFunction, args: unknown[]): Promise<FakeScript | undefined> {
    this.record(fn, args);
    await Promise.resolve();
    const script = this.scripts.get(fn)?.shift();
    if (script?.throws !== undefined) throw script.throws;
    return script;
  }

  private async begin(
    fn: ScriptedFunction,
    args: unknown[],
    operation: HcsOperation,
    emulate: () => { answer: FakeAnswer; commit?: () => void },
  ): Promise<number> {
    const script = await this.enter(fn, args);
    const op = this.operation(operation, fn);
    const hr = script?.call ?? HRESULT.S_OK;
    if (op === undefined) return HRESULT.E_INVALIDARG;
    op.result = script?.result;
    if ((hr | 0) < 0 && hr !== HRESULT.HCS_E_OPERATION_PENDING_V2) return hr;
    const emulated = emulate();
    op.waits = [...(script?.waits ?? [])];
    op.outcome = script?.outcome ?? emulated.answer;
    op.commit = script?.outcome === undefined ? (emulated.commit ?? (() => {})) : () => {};
    return hr;
  }

  private onSystem(handle: HcsSystem, change: (s: FakeSystem) => void): { answer: FakeAnswer; commit?: () => void } {
    const system = this.systemOf(handle);
    if (system === undefined) return { answer: { hr: HRESULT.HCS_E_SYSTEM_NOT_FOUND_V2 } };
    return { answer: { hr: HRESULT.S_OK }, commit: () => change(system) };
  }

  private systemOf(handle: HcsSystem): FakeSystem | undefined {
    const h = this.handles.get(handle);
    if (h === undefined || h.closed) {
      this.violations.push(`use of ${h === undefined ? 'unknown' : 'closed'} compute-system handle ${handle}`);
      return undefined;
    }
    return this.systems.get(h.id);
  }

  private operation(handle: HcsOperation, fn: string): FakeOperation | undefined {
    const op = this.operations.get(handle);
    if (op === undefined || op.closed) {
      this.violations.push(`${fn} on ${op === undefined ? 'unknown' : 'closed'} operation ${handle}`);
      return undefined;
    }
    return op;
  }

  private answer(answer: FakeAnswer, out: Out<HcsResultString>): number {
    if (answer.document !== undefined) {
      const pointer = this.allocate();
      this.strings.set(pointer, answer.document);
      out[0] = pointer;
    }
    return answer.hr;
  }

  private openHandle(id: string): HcsSystem {
    const handle = this.allocate();
    this.handles.set(handle, { id, closed: false });
    return handle;
  }

  private allocate(): bigint {
    this.nextHandle += 0x10n;
    return this.nextHandle;
  }

  private propertiesOf(system: FakeSystem): Record<string, unknown> {
    return {
      Id: system.id,
      SystemType: system.systemType,
      Owner: system.owner,
      State: system.state,
      ...(system.runtimeOsType === undefined ? {} : { RuntimeOsType: system.runtimeOsType }),
    };
  }
}
