/**
 * Where a utility VM's files live: `<stateDir>/qemu/<id>/` holds state.json, the pid file, the
 * serial console log and QEMU's own output. The QMP and agent sockets live there too unless the
 * path would exceed the 108-byte limit of a Unix socket address; then they go to a short
 * per-user folder under the temp dir, named by a hash of the run dir so every process finds them.
 */
import { createHash } from 'node:crypto';
import * as os from 'node:os';
import * as path from 'node:path';

/** sun_path is 108 bytes with its terminating NUL; keep a margin. */
const MAX_SOCKET_PATH = 100;

export interface RunFiles {
  dir: string;
  state: string;
  pid: string;
  console: string;
  log: string;
  socketDir: string;
  qmp: string;
  agent: string;
}

export function qemuRoot(stateDir: string): string {
  return path.join(stateDir, 'qemu');
}

export function runFiles(stateDir: string, id: string): RunFiles {
  const dir = path.join(qemuRoot(stateDir), id);
  const socketDir =
    path.join(dir, 'agent.sock').length <= MAX_SOCKET_PATH ? dir : shortSocketDir(dir);
  return {
    dir,
    state: path.join(dir, 'state.json'),
    pid: path.join(dir, 'pid'),
    console: path.join(dir, 'console.log'),
    log: path.join(dir, 'qemu.log'),
    socketDir,
    qmp: path.join(socketDir, 'qmp.sock'),
    agent: path.join(socketDir, 'agent.sock'),
  };
}

function shortSocketDir(runDir: string): string {
  const hash = createHash('sha256').update(runDir).digest('hex').slice(0, 16);
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  return path.join(os.tmpdir(), `uvm-layers-${uid}`, hash);
}
