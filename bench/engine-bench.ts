/**
 * `npm run bench`: figures, no assertions about time.
 * (a) in-process mount + unmount of a 5-layer container sharing a base layer: ops/s, µs per op,
 *     split into engine, simulator and store time;
 * (b) the same through the CLI, beside `node -e 0` timed in the same run;
 * (c) HCS requests per mount against what it newly attaches.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createSimBackend } from '../main/hcs/sim/index.js';
import type { HcsBackend } from '../main/hcs/backend.js';
import { createLayerService } from '../main/engine/service.js';
import { storeSimPersistence } from '../main/engine/sim-persistence.js';
import { StateStore } from '../main/store/state-store.js';
import { qemuBench } from './qemu-bench.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 200);
const CLI_ROUNDS = Number(process.env.BENCH_CLI_ROUNDS ?? 20);
const CLI = process.env.BENCH_CLI ?? path.resolve(__dirname, '..', 'bin', 'uvm-layers.cjs');

function folders(root: string) {
  const layer = (name: string): string => {
    const dir = path.join(root, name);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'layer.vhd'), Buffer.alloc(4096));
    return dir;
  };
  const scratch = (name: string): string => {
    const dir = path.join(root, name);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'sandbox.vhdx'), 'x');
    return dir;
  };
  return {
    base: layer('base'),
    apps: [1, 2, 3, 4].map((i) => layer(`app${i}`)),
    holderScratch: scratch('holder'),
    scratch: scratch('scratch'),
  };
}

/**
 * Exclusive time per bucket: a call into the store or the simulator pauses the bucket of its
 * caller, so nested time (the sim's own store writes, the engine's work inside `withLock`) is
 * charged once, to the innermost bucket. Operations run one at a time, so calls nest like a stack.
 */
class Clock {
  readonly totals: Record<string, number> = { engine: 0, store: 0, sim: 0 };
  private stack: string[] = ['engine'];
  private last = performance.now();

  enter(bucket: string): void {
    this.charge();
    this.stack.push(bucket);
  }

  exit(): void {
    this.charge();
    this.stack.pop();
  }

  reset(): void {
    for (const k of Object.keys(this.totals)) this.totals[k] = 0;
    this.last = performance.now();
  }

  private charge(): void {
    const now = performance.now();
    const bucket = this.stack[this.stack.length - 1] ?? 'engine';
    this.totals[bucket] = (this.totals[bucket] ?? 0) + now - this.last;
    this.last = now;
  }
}

/** Charges every method call of `target` to `bucket`; `withLock` runs its callback as engine time. */
function timed<T extends object>(target: T, clock: Clock, bucket: string): T {
  return new Proxy(target, {
    get(obj, prop, receiver) {
      const value = Reflect.get(obj, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (prop === 'withLock') {
          const fn = args[1] as () => Promise<unknown>;
          args[1] = async () => {
            clock.enter('engine');
            try {
              return await fn();
            } finally {
              clock.exit();
            }
          };
        }
        clock.enter(bucket);
        try {
          const result = (value as (...a: unknown[]) => unknown).apply(obj, args);
          if (result instanceof Promise) return result.finally(() => clock.exit());
          clock.exit();
          return result;
        } catch (error) {
          clock.exit();
          throw error;
        }
      };
    },
  });
}

async function inProcess(): Promise<{ requestsPerMount: number; newDevices: number }> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'uvm-layers-bench-'));
  const f = folders(root);
  const clock = new Clock();
  const store = timed(StateStore.open(path.join(root, 'state')), clock, 'store');
  const sim = createSimBackend({ persistence: storeSimPersistence(store) });
  const service = createLayerService(store, timed(sim as HcsBackend, clock, 'sim'));
  await service.createUvm({ id: 'bench', os: 'linux' });
  await service.mount({
    uvm: 'bench',
    guestRoot: '/run/gcs/c/holder',
    layers: [f.base],
    scratch: f.holderScratch,
  });
  const mount = {
    uvm: 'bench',
    guestRoot: '/run/gcs/c/bench',
    layers: [f.base, ...f.apps],
    scratch: f.scratch,
  };

  const countBefore = sim.requestCount;
  await service.mount(mount);
  const requestsPerMount = sim.requestCount - countBefore;
  await service.unmount({ uvm: 'bench', guestRoot: mount.guestRoot });

  clock.reset();
  const started = performance.now();
  for (let i = 0; i < ROUNDS; i++) {
    await service.mount(mount);
    await service.unmount({ uvm: 'bench', guestRoot: mount.guestRoot });
  }
  const total = performance.now() - started;
  const { engine = 0, store: storeMs = 0, sim: simMs = 0 } = clock.totals;
  const perOp = (ms: number): string => ((ms / ROUNDS) * 1000).toFixed(0);
  console.log(`(a) in-process mount + unmount, 5 layers (base shared), ${ROUNDS} rounds`);
  console.log(
    `    ${(ROUNDS / (total / 1000)).toFixed(0)} mount+unmount/s, ${perOp(total)} µs per mount+unmount`,
  );
  console.log(
    `    engine ${perOp(engine)} µs, simulator ${perOp(simMs)} µs, store ${perOp(storeMs)} µs (atomic writes with fsync, locks, log)`,
  );
  console.log(
    `    engine time is ${((engine / storeMs) * 100).toFixed(1)}% of the store's (target < 5%)`,
  );
  await service.close();
  fs.rmSync(root, { recursive: true, force: true });
  return { requestsPerMount, newDevices: 5 };
}

function time(cmd: string, args: string[], env: NodeJS.ProcessEnv): number {
  const start = performance.now();
  const r = spawnSync(cmd, args, { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${[cmd, ...args].join(' ')} failed: ${r.stderr}`);
  return performance.now() - start;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

function cli(): void {
  if (!fs.existsSync(path.resolve(__dirname, '..', 'dist', 'cli.cjs')) && !process.env.BENCH_CLI) {
    console.log('(b) skipped: run `npm run build` first');
    return;
  }
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'uvm-layers-bench-cli-'));
  const f = folders(root);
  const env = { ...process.env, UVM_LAYERS_STATE_DIR: path.join(root, 'state') };
  time(process.execPath, [CLI, 'uvm', 'create', 'bench', '--os', 'linux'], env);
  time(
    process.execPath,
    [CLI, 'mount', '--uvm', 'bench', '--guest-root', '/run/gcs/c/holder', f.base, f.holderScratch],
    env,
  );
  const bare: number[] = [];
  const mounts: number[] = [];
  const unmounts: number[] = [];
  for (let i = 0; i < CLI_ROUNDS; i++) {
    bare.push(time(process.execPath, ['-e', '0'], env));
    mounts.push(
      time(
        process.execPath,
        [
          CLI,
          'mount',
          '--uvm',
          'bench',
          '--guest-root',
          '/run/gcs/c/b',
          f.base,
          ...f.apps,
          f.scratch,
        ],
        env,
      ),
    );
    unmounts.push(
      time(
        process.execPath,
        [CLI, 'unmount', '--uvm', 'bench', '--guest-root', '/run/gcs/c/b'],
        env,
      ),
    );
  }
  const b = median(bare);
  const m = median(mounts);
  const u = median(unmounts);
  console.log(
    `(b) CLI, median of ${CLI_ROUNDS}: node -e 0 ${b.toFixed(1)} ms; mount ${m.toFixed(1)} ms (${(m / b).toFixed(2)}×, target < 3×); unmount ${u.toFixed(1)} ms (${(u / b).toFixed(2)}×)`,
  );
  fs.rmSync(root, { recursive: true, force: true });
}

async function main(): Promise<void> {
  const { requestsPerMount, newDevices } = await inProcess();
  cli();
  console.log(
    `(c) HCS requests per mount: ${requestsPerMount} for ${newDevices} newly attached devices (4 layers + scratch; the shared base costs none) + 1 combine = ${newDevices + 1} expected`,
  );
  if (process.env.BENCH_QEMU === '0') console.log('(d) QEMU skipped (BENCH_QEMU=0)');
  else await qemuBench();
}

void main();
