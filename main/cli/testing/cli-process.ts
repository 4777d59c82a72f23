/**
 * Runs the real `uvm-layers` command in child processes: the CLI is bundled once per test
 * process with esbuild, exactly as `npm run build` bundles it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { bundleForTest, REPO_ROOT } from '../../testing/bundle.js';

export function cliBundle(): string {
  return bundleForTest(path.join(REPO_ROOT, 'main', 'cli.ts'));
}

function env(stateDir: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    NODE_PATH: path.join(REPO_ROOT, 'node_modules'),
    UVM_LAYERS_STATE_DIR: stateDir,
    ...extra,
  };
}

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(
  stateDir: string,
  args: readonly string[],
  extraEnv: NodeJS.ProcessEnv = {},
): CliResult {
  const r = spawnSync(process.execPath, [cliBundle(), ...args], {
    env: env(stateDir, extraEnv),
    encoding: 'utf8',
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function runCliAsync(
  stateDir: string,
  args: readonly string[],
  extraEnv: NodeJS.ProcessEnv = {},
): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = startCli(stateDir, args, extraEnv);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

export function startCli(
  stateDir: string,
  args: readonly string[],
  extraEnv: NodeJS.ProcessEnv = {},
): ChildProcess {
  return spawn(process.execPath, [cliBundle(), ...args], {
    env: env(stateDir, extraEnv),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Every file under the state folder with its content (locks aside): "nothing changed" means equal. */
export function stateFiles(stateDir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string): void => {
    if (!fs.existsSync(dir)) return;
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'locks') walk(full);
      } else {
        out[path.relative(stateDir, full)] = fs.readFileSync(full, 'utf8');
      }
    }
  };
  walk(stateDir);
  return out;
}
