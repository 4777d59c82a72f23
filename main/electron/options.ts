/**
 * The desktop app's command-line options, as the CLI spells them: `--backend sim|hcs|qemu`,
 * `--state-dir DIR` (env UVM_LAYERS_STATE_DIR; default the shared app-data folder) and, for tests,
 * `--sim-fail-at N`. Unknown arguments (Chromium switches, the app path) are ignored.
 */
import path from 'node:path';
import type { BackendName } from '../hcs/backend.js';

export interface AppOptions {
  backend: BackendName | undefined;
  stateDir: string | undefined;
  simFailAt: number | undefined;
}

const BACKENDS: readonly BackendName[] = ['sim', 'hcs', 'qemu'];

function valueOf(argv: readonly string[], name: string): string | undefined {
  let found: string | undefined;
  argv.forEach((arg, i) => {
    if (arg === `--${name}`) found = argv[i + 1];
    else if (arg.startsWith(`--${name}=`)) found = arg.slice(name.length + 3);
  });
  return found;
}

/** Parses the options; throws with a one-line message on a bad value. */
export function parseAppOptions(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): AppOptions {
  const backend = valueOf(argv, 'backend');
  if (backend !== undefined && !BACKENDS.includes(backend as BackendName)) {
    throw new Error(
      `--backend must be one of ${BACKENDS.join(', ')} (got ${JSON.stringify(backend)})`,
    );
  }
  const dir = valueOf(argv, 'state-dir') ?? env.UVM_LAYERS_STATE_DIR;
  if (dir === '') throw new Error('--state-dir needs a folder');
  const failAt = valueOf(argv, 'sim-fail-at');
  if (failAt !== undefined && !/^[1-9][0-9]*$/.test(failAt)) {
    throw new Error(
      `--sim-fail-at must be a positive whole number (got ${JSON.stringify(failAt)})`,
    );
  }
  return {
    backend: backend as BackendName | undefined,
    stateDir: dir === undefined ? undefined : path.resolve(dir),
    simFailAt: failAt === undefined ? undefined : Number(failAt),
  };
}
