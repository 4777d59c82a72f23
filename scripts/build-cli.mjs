// Bundles the CLI into one CommonJS file: one file to read and compile keeps start-up cheap.
import { build } from 'esbuild';

await build({
  entryPoints: ['main/cli.ts'],
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  outfile: 'dist/cli.cjs',
  external: ['koffi', 'electron'],
  sourcemap: 'linked',
  logLevel: 'warning',
});
