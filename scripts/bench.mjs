// `npm run bench`: bundles the benchmark with esbuild and runs it with plain Node.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const out = join(mkdtempSync(join(tmpdir(), 'uvm-layers-bench-')), 'bench.cjs');
await build({
  entryPoints: ['bench/engine-bench.ts'],
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  outfile: out,
  external: ['koffi', 'electron'],
  logLevel: 'warning',
  define: { __dirname: JSON.stringify(join(process.cwd(), 'bench')) },
});
const r = spawnSync(process.execPath, [out], {
  stdio: 'inherit',
  env: { ...process.env, NODE_PATH: join(process.cwd(), 'node_modules') },
});
process.exitCode = r.status ?? 1;
