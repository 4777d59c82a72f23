/**
 * The command line: finds the command (global options may stand before or after it), runs it
 * against the LayerService and prints human tables or `--json`. Failures print one line on
 * stderr and, with --json, `{"error": {...}}` on stdout; the exit code is 2 for bad usage and 1
 * for a failed operation.
 */
import * as path from 'node:path';
import type { BackendName } from '../hcs/backend.js';
import { toUvmLayersError } from '../engine/errors.js';
import type { LayerService } from '../engine/service-api.js';
import { defaultStateDir } from '../engine/state-dir.js';
import {
  GLOBAL_OPTIONS,
  flag,
  intOption,
  parseArgs,
  stringOption,
  usageError,
  type Parsed,
} from './args.js';
import { version } from '../../package.json';
import { findCommand, helpText, type CommandContext, type Output } from './commands.js';

export interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
  env: NodeJS.ProcessEnv;
}

/** First words that take a second one (`uvm create`, `layer create`, ...). */
const GROUPS = new Set(['uvm', 'layer', 'scratch', 'image']);

/** Pulls the command words out of argv, leaving every option (global or not) in place. */
function splitCommand(argv: readonly string[]): { words: string[]; rest: string[] } {
  const words: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg.startsWith('--')) {
      rest.push(arg);
      const name = arg.slice(2).split('=')[0] ?? '';
      if (!arg.includes('=') && GLOBAL_OPTIONS[name] === 'string' && i + 1 < argv.length) {
        rest.push(argv[++i] ?? '');
      }
      continue;
    }
    const wantsWord = words.length === 0 || (words.length === 1 && GROUPS.has(words[0] ?? ''));
    if (wantsWord) words.push(arg);
    else rest.push(arg);
  }
  return { words, rest };
}

function backendOption(parsed: Parsed): BackendName | undefined {
  const backend = stringOption(parsed, 'backend');
  if (backend === undefined) return undefined;
  if (backend !== 'sim' && backend !== 'hcs' && backend !== 'qemu') {
    throw usageError(`--backend must be sim, hcs or qemu (got ${backend})`);
  }
  return backend;
}

export async function runCli(argv: readonly string[], io: Io): Promise<number> {
  const json = argv.includes('--json');
  let service: LayerService | undefined;
  try {
    const { words, rest } = splitCommand(argv);
    if (argv.includes('--version')) {
      io.stdout(`uvm-layers ${version}\n`);
      return 0;
    }
    if (argv.includes('--help') || words[0] === 'help') {
      io.stdout(`${helpText()}\n`);
      return 0;
    }
    if (words.length === 0) throw usageError('no command given; run `uvm-layers --help`');
    const found = findCommand(words);
    if (!found)
      throw usageError(`unknown command \`${words.join(' ')}\`; run \`uvm-layers --help\``);
    const { command } = found;
    const parsed = parseArgs(rest, { ...GLOBAL_OPTIONS, ...command.options });
    const backend = backendOption(parsed);
    const simFailAt = intOption(parsed, 'sim-fail-at', 1);
    const stateDirOption = stringOption(parsed, 'state-dir');
    const stateDir =
      stateDirOption === undefined ? defaultStateDir(io.env) : path.resolve(stateDirOption);
    const ctx: CommandContext = {
      stateDir,
      async service() {
        if (!service) {
          const { openLayerService } = await import('../engine/service.js');
          const { defaultBackend } = await import('../engine/backends.js');
          service = await openLayerService({
            stateDir,
            backend: backend ?? (await defaultBackend()),
            ...(simFailAt === undefined ? {} : { simFailAt }),
          });
        }
        return service;
      },
      serve: (port, svc) => serve(port, svc, io),
    };
    const output = await command.run(parsed, ctx);
    print(output, flag(parsed, 'json'), io);
    return 0;
  } catch (error) {
    const failure = toUvmLayersError(error);
    io.stderr(`uvm-layers: error: ${failure.message}\n`);
    if (json) io.stdout(`${JSON.stringify({ error: failure.toJSON() })}\n`);
    return failure.code === 'INVALID_ARGUMENT' ? 2 : 1;
  } finally {
    await service?.close().catch(() => undefined);
  }
}

function print(output: Output, json: boolean, io: Io): void {
  if (json) {
    if (output.jsonLines) io.stdout(output.jsonLines.map((l) => `${JSON.stringify(l)}\n`).join(''));
    else if (output.json !== undefined) io.stdout(`${JSON.stringify(output.json, null, 2)}\n`);
    return;
  }
  if (output.human !== undefined) io.stdout(`${output.human}\n`);
}

async function serve(port: number | undefined, service: LayerService, io: Io): Promise<Output> {
  const { startWebServer } = await import('../web/server.js');
  const rendererDir = path.resolve(__dirname, '..', 'out', 'renderer');
  const server = await startWebServer(service, {
    ...(port === undefined ? {} : { port }),
    rendererDir,
  });
  io.stdout(
    `uvm-layers serving ${service.backend} state from ${service.stateDir}\n${server.url}\n`,
  );
  return new Promise<Output>((resolve) => {
    const stop = (): void => {
      void server.close().finally(() => resolve({}));
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
