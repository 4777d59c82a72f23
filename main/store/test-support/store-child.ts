/**
 * Test support: runs StateStore operations in separate Node processes, to prove what only
 * several processes can show (inter-process locks, global log seqs, cross-process change events).
 * The store is bundled once per test process with esbuild (no TS loader is installed); children
 * are plain CommonJS scripts that require the bundle.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleForTest, REPO_ROOT } from '../../testing/bundle.js';

/** The child's commands; each prints progress lines the test can wait for. */
const CHILD_SCRIPT = String.raw`
'use strict';
const { StateStore } = require(process.env.STORE_BUNDLE);
const [op, dir, ...args] = process.argv.slice(2);
const store = StateStore.open(dir, { lockTimeoutMs: 20000 });
const say = (line) => process.stdout.write(line + '\n');

async function main() {
  switch (op) {
    case 'increment': {
      const [key, times] = args;
      for (let i = 0; i < Number(times); i++) {
        await store.withLock('counter', async () => {
          const current = store.read(key)?.data ?? 0;
          await new Promise((resolve) => setImmediate(resolve)); // let other processes run
          store.write(key, current + 1);
        });
      }
      break;
    }
    case 'hold': {
      await store.withLock(args[0], async () => {
        say('locked');
        await new Promise(() => setInterval(() => {}, 1000)); // hold until killed
      });
      break;
    }
    case 'append': {
      const [count, uvm] = args;
      for (let i = 0; i < Number(count); i++) {
        store.appendLog({ time: new Date().toISOString(), uvm: uvm ?? null, request: { pid: process.pid, i }, ok: true, ms: 0 });
      }
      break;
    }
    case 'write':
      say('revision ' + store.write(args[0], JSON.parse(args[1])));
      break;
    case 'delete':
      store.delete(args[0]);
      break;
    case 'subscribe-unsubscribe': {
      // Subscribes, sees its own write, unsubscribes, and then must exit on its own.
      await new Promise((resolve) => {
        const unsubscribe = store.subscribe((change) => {
          say('change ' + JSON.stringify(change));
          unsubscribe();
          resolve();
        });
        store.write(args[0], { by: process.pid });
      });
      say('unsubscribed');
      return; // deliberately no close(): unsubscribe alone must let the process exit
    }
    default:
      throw new Error('unknown op ' + op);
  }
  store.close();
}

main().catch((error) => {
  process.stderr.write(String(error && error.code) + ': ' + String(error && error.message) + '\n');
  process.exit(1);
});
`;

export interface StoreChildren {
  /** Starts a child running `op` on the state directory `dir`. */
  start(op: string, dir: string, ...args: string[]): RunningChild;
  /** Runs a child to completion; rejects with its stderr if it fails. */
  run(op: string, dir: string, ...args: string[]): Promise<string>;
  dispose(): void;
}

export interface RunningChild {
  readonly process: ChildProcess;
  /** Resolves once the child printed `line` (or rejects when it exits first). */
  waitForLine(line: string, timeoutMs?: number): Promise<void>;
  /** Resolves with the exit code (or signal name) and everything it printed. */
  readonly exited: Promise<{ code: number | string; stdout: string; stderr: string }>;
}

export function prepareStoreChildren(): StoreChildren {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'uvm-layers-store-child-'));
  const bundle = bundleForTest(path.join(REPO_ROOT, 'main', 'store', 'state-store.ts'));
  const script = path.join(work, 'child.cjs');
  fs.writeFileSync(script, CHILD_SCRIPT);
  const env = {
    ...process.env,
    STORE_BUNDLE: bundle,
    NODE_PATH: path.join(REPO_ROOT, 'node_modules'), // lets the bundle find koffi from a temp folder
  };
  const children = new Set<ChildProcess>();

  function start(op: string, dir: string, ...args: string[]): RunningChild {
    const child = spawn(process.execPath, [script, op, dir, ...args], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    let stdout = '';
    let stderr = '';
    const lineWaiters: Array<() => void> = [];
    child.stdout?.setEncoding('utf8').on('data', (text: string) => {
      stdout += text;
      for (const check of [...lineWaiters]) check();
    });
    child.stderr?.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    const exited = new Promise<{ code: number | string; stdout: string; stderr: string }>(
      (resolve) => {
        // 'close' (not 'exit'): it comes after the output streams ended, so nothing printed is lost.
        child.on('close', (code, signal) => {
          children.delete(child);
          resolve({ code: code ?? signal ?? 'unknown', stdout, stderr });
        });
      },
    );
    return {
      process: child,
      exited,
      waitForLine(line, timeoutMs = 10_000) {
        return new Promise<void>((resolve, reject) => {
          const timer = setTimeout(
            () => reject(new Error(`child never printed "${line}"; stderr: ${stderr}`)),
            timeoutMs,
          );
          const check = (): void => {
            if (stdout.split('\n').includes(line)) {
              clearTimeout(timer);
              resolve();
            }
          };
          lineWaiters.push(check);
          check();
          void exited.then(() => {
            clearTimeout(timer);
            if (!stdout.split('\n').includes(line))
              reject(new Error(`child exited before "${line}"; stderr: ${stderr}`));
          });
        });
      },
    };
  }

  return {
    start,
    async run(op, dir, ...args) {
      const result = await start(op, dir, ...args).exited;
      if (result.code !== 0)
        throw new Error(`child ${op} failed (${result.code}): ${result.stderr}`);
      return result.stdout;
    },
    dispose() {
      for (const child of children) child.kill('SIGKILL');
      fs.rmSync(work, { recursive: true, force: true });
    },
  };
}

const tempDirs: string[] = [];

/** A fresh, empty folder for one test's state directory; removed by removeTempStateDirs(). */
export function tempStateDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uvm-layers-state-'));
  tempDirs.push(dir);
  return dir;
}

export function removeTempStateDirs(): void {
  for (const dir of tempDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

/** Polls `predicate` until true; fails with `what` after `timeoutMs`. */
export async function waitFor(
  what: string,
  predicate: () => boolean,
  timeoutMs = 5_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
