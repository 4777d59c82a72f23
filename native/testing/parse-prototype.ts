/**
 * Parses a C prototype with koffi (no DLL needed) to check a declaration's argument types. koffi
 * registers the prototype's name as a process-wide type, so each prototype is parsed once.
 */
import { loadKoffi } from '../koffi-loader.js';

export interface ParsedArgument {
  type: string;
  primitive: string;
  direction: string;
}

const cache = new Map<string, ParsedArgument[]>();

export function prototypeArguments(prototype: string): ParsedArgument[] {
  const known = cache.get(prototype);
  if (known !== undefined) return known;
  const parsed = loadKoffi().proto(prototype) as unknown as {
    proto: { arguments: { type: { name: string; primitive: string }; direction: string }[] };
  };
  const args = parsed.proto.arguments.map((a) => ({ type: a.type.name, primitive: a.type.primitive, direction: a.direction }));
  cache.set(prototype, args);
  return args;
}
