/** The shared libraries a dynamically linked host program needs, as ldd reports them. */
import { runTool } from '../../../tools/host-tools.js';

/** Absolute paths of the libraries and the ELF interpreter; the vDSO (no file) is left out. */
export async function sharedLibraries(ldd: string, binary: string): Promise<string[]> {
  const { stdout } = await runTool(ldd, [binary], { what: `ldd ${binary}` });
  return parseLdd(stdout);
}

export function parseLdd(output: string): string[] {
  const libs: string[] = [];
  for (const line of output.split('\n')) {
    const arrow = /=>\s*(\/\S+)/.exec(line);
    const bare = /^\s*(\/\S+)\s+\(/.exec(line);
    const lib = arrow?.[1] ?? bare?.[1];
    if (lib !== undefined && !libs.includes(lib)) libs.push(lib);
  }
  return libs;
}
