/**
 * Test support: bundles a TypeScript entry into one CommonJS file, once per test process, the way
 * `npm run build` bundles the CLI, so child processes run it with plain Node (no TS loader is
 * installed). Children resolve koffi through NODE_PATH pointing at the repository's node_modules.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildSync } from 'esbuild';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
const bundles = new Map<string, string>();

export function bundleForTest(entry: string): string {
  let bundle = bundles.get(entry);
  if (!bundle) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uvm-layers-bundle-'));
    bundle = path.join(dir, `${path.basename(entry, '.ts')}.cjs`);
    buildSync({
      entryPoints: [entry],
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      outfile: bundle,
      external: ['koffi', 'electron'],
      logLevel: 'error',
    });
    bundles.set(entry, bundle);
  }
  return bundle;
}
