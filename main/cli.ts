/** Entry point of the `uvm-layers` command (bundled to dist/cli.cjs). */
import { runCli } from './cli/run.js';

void runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
}).then((code) => {
  process.exitCode = code;
});
