/** Building the guest agent (native/guest-agent) for the image, and finding its sources. */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { UvmLayersError } from '../../../engine/errors.js';
import { findExecutable, runTool } from '../../../tools/host-tools.js';

export interface GuestAgentFiles {
  dir: string;
  binary: string;
  init: string;
}

/**
 * The native/guest-agent folder, found by walking up from this module (the source tree, or the
 * bundle in dist/ or a temp folder given __dirname) and from the working directory.
 */
export function findGuestAgentDir(explicit?: string): string {
  const starts = [
    explicit,
    process.env.UVM_LAYERS_AGENT_DIR,
    typeof __dirname === 'string' ? __dirname : undefined,
    process.cwd(),
  ];
  for (const start of starts) {
    if (start === undefined || start === '') continue;
    if (fs.existsSync(path.join(start, 'Makefile')) && fs.existsSync(path.join(start, 'agent.c')))
      return start;
    for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
      const candidate = path.join(dir, 'native', 'guest-agent');
      if (fs.existsSync(path.join(candidate, 'Makefile'))) return candidate;
      if (path.dirname(dir) === dir) break;
    }
  }
  throw new UvmLayersError(
    'BACKEND_UNAVAILABLE',
    'cannot find the guest agent sources (native/guest-agent); run from the uvm-layers checkout or set UVM_LAYERS_AGENT_DIR',
  );
}

/**
 * Runs `make` in the agent folder (a no-op when the binary is current) and returns the files the
 * image needs. Without make or a C compiler a previously built binary is used as is.
 */
export async function buildGuestAgent(
  dir: string,
  log: (line: string) => void,
): Promise<GuestAgentFiles> {
  const binary = path.join(dir, 'build', 'uvm-agent');
  const init = path.join(dir, 'init');
  const make = findExecutable('make');
  const compiler = findExecutable('musl-gcc') ?? findExecutable('gcc');
  if (make !== undefined && compiler !== undefined) {
    const { stdout } = await runTool(make, ['-C', dir, '--no-print-directory'], {
      what: 'building the guest agent',
    });
    if (/\bgcc\b/.test(stdout)) log('built the guest agent');
  } else if (!fs.existsSync(binary)) {
    throw new UvmLayersError(
      'BACKEND_UNAVAILABLE',
      'building the guest agent needs make and a C compiler: apt-get install -y --no-install-recommends make gcc libc6-dev musl-tools',
    );
  }
  if (!fs.existsSync(binary))
    throw new UvmLayersError('INTERNAL', `make did not produce ${binary}`);
  return { dir, binary, init };
}

export function sha256File(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}
