/**
 * A small argument parser for the uvm-layers contract: global options anywhere on the line,
 * `--name value` or `--name=value`, flags, positionals. Unknown or malformed options are errors.
 */
import { UvmLayersError } from '../engine/errors.js';

export type OptionKind = 'string' | 'flag';

export interface OptionSpec {
  [name: string]: OptionKind;
}

export interface Parsed {
  positionals: string[];
  options: Map<string, string | true>;
}

export const GLOBAL_OPTIONS: OptionSpec = {
  backend: 'string',
  'state-dir': 'string',
  json: 'flag',
  'sim-fail-at': 'string',
  help: 'flag',
};

export function usageError(message: string): UvmLayersError {
  return new UvmLayersError('INVALID_ARGUMENT', message);
}

export function parseArgs(argv: readonly string[], spec: OptionSpec): Parsed {
  const positionals: string[] = [];
  const options = new Map<string, string | true>();
  let onlyPositionals = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (onlyPositionals || !arg.startsWith('--') || arg === '-') {
      if (arg.startsWith('-') && arg !== '-' && !onlyPositionals && !/^-\d/.test(arg)) {
        throw usageError(`unknown option ${arg}; options are written --name`);
      }
      positionals.push(arg);
      continue;
    }
    if (arg === '--') {
      onlyPositionals = true;
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    const kind = spec[name];
    if (!kind) throw usageError(`unknown option --${name}`);
    if (options.has(name)) throw usageError(`option --${name} is given twice`);
    if (kind === 'flag') {
      if (eq !== -1) throw usageError(`option --${name} takes no value`);
      options.set(name, true);
      continue;
    }
    const value = eq === -1 ? argv[++i] : arg.slice(eq + 1);
    if (value === undefined || (eq === -1 && value.startsWith('--'))) {
      throw usageError(`option --${name} needs a value`);
    }
    options.set(name, value);
  }
  return { positionals, options };
}

export function stringOption(parsed: Parsed, name: string): string | undefined {
  const v = parsed.options.get(name);
  return typeof v === 'string' ? v : undefined;
}

export function flag(parsed: Parsed, name: string): boolean {
  return parsed.options.get(name) === true;
}

/** A whole number option; `min`/`max` bound it. */
export function intOption(
  parsed: Parsed,
  name: string,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number | undefined {
  const raw = stringOption(parsed, name);
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw)) throw usageError(`--${name} must be a whole number (got ${raw})`);
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw usageError(`--${name} must be from ${min} to ${max} (got ${raw})`);
  }
  return value;
}
