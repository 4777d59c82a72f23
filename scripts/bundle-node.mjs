// One esbuild setup for everything the scripts run with plain Node: a single CommonJS file for
// Node 20, with koffi (native) and electron left to be required at run time.
import { build } from 'esbuild';

/** `options` are esbuild's own (entryPoints or stdin, outfile, define, ...). */
export function bundleNode(options) {
  return build({
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external: ['koffi', 'electron'],
    logLevel: 'warning',
    ...options,
  });
}
