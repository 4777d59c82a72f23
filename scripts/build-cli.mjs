// Bundles the CLI into one CommonJS file: one file to read and compile keeps start-up cheap.
import { bundleNode } from './bundle-node.mjs';

await bundleNode({
  entryPoints: ['main/cli.ts'],
  outfile: 'dist/cli.cjs',
  sourcemap: 'linked',
});
