// `npm run uvm-image`: builds the QEMU utility VM's kernel + initramfs under the state directory
// (UVM_LAYERS_STATE_DIR, else the app's default). Bundles main/hcs/qemu/image with esbuild and
// runs it with plain Node, like scripts/bench.mjs.
import { bundleNode } from './bundle-node.mjs';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tmp = mkdtempSync(join(tmpdir(), 'uvm-layers-image-'));
const out = join(tmp, 'uvm-image.cjs');
const entry = `
import { buildUtilityVmImage } from './main/hcs/qemu/image/index.ts';
import { defaultStateDir } from './main/engine/state-dir.ts';

const stateDir = defaultStateDir();
const started = Date.now();
buildUtilityVmImage({ stateDir, log: (line) => console.log('uvm-image: ' + line) }).then(
  (image) => {
    console.log(JSON.stringify({ ...image, stateDir, seconds: (Date.now() - started) / 1000 }, null, 2));
  },
  (error) => {
    console.error('uvm-image: ' + (error && error.code ? error.code + ': ' : '') + (error && error.message ? error.message : String(error)));
    process.exitCode = 1;
  },
);
`;
try {
  await bundleNode({
    stdin: { contents: entry, resolveDir: root, sourcefile: 'uvm-image-entry.ts', loader: 'ts' },
    outfile: out,
    // The builder finds native/guest-agent by walking up from its own folder.
    define: { __dirname: JSON.stringify(join(root, 'main', 'hcs', 'qemu', 'image')) },
  });
  const r = spawnSync(process.execPath, [out], { stdio: 'inherit', cwd: root });
  process.exitCode = r.status ?? 1;
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
