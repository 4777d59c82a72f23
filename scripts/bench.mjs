// `npm run bench`: bundles the benchmark with esbuild and runs it with plain Node.
import { bundleNode } from './bundle-node.mjs';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const out = join(mkdtempSync(join(tmpdir(), 'uvm-layers-bench-')), 'bench.cjs');
await bundleNode({
  entryPoints: ['bench/engine-bench.ts'],
  outfile: out,
  define: { __dirname: JSON.stringify(join(process.cwd(), 'bench')) },
});
const r = spawnSync(process.execPath, [out], {
  stdio: 'inherit',
  env: { ...process.env, NODE_PATH: join(process.cwd(), 'node_modules') },
});
process.exitCode = r.status ?? 1;
