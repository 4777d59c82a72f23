/** The `uvm-layers` commands of DESIGN.md: their options, and what each prints. */
import * as path from 'node:path';
import type { LayerService, UnmountOp } from '../engine/service-api.js';
import { flag, intOption, stringOption, usageError, type OptionSpec, type Parsed } from './args.js';
import { UvmLayersError } from '../engine/errors.js';
import {
  formatContainers,
  formatFiles,
  formatLog,
  formatUvm,
  formatUvmList,
  formatVerify,
} from './format.js';

export interface Output {
  /** What `--json` prints (undefined: nothing). */
  json?: unknown;
  /** JSON lines instead of one document (`log`). */
  jsonLines?: unknown[];
  human?: string;
}

export interface CommandContext {
  /** The state folder (--state-dir, UVM_LAYERS_STATE_DIR or the default). */
  stateDir: string;
  service(): Promise<LayerService>;
  /** For `serve`: runs until the process is stopped. */
  serve(port: number | undefined, service: LayerService): Promise<Output>;
}

export interface Command {
  path: readonly string[];
  usage: string;
  summary: string;
  options: OptionSpec;
  run(args: Parsed, ctx: CommandContext): Promise<Output>;
}

function positionals(args: Parsed, count: number, usage: string): string[] {
  if (args.positionals.length !== count) {
    throw usageError(`expected ${count === 1 ? 'one argument' : `${count} arguments`}: ${usage}`);
  }
  return args.positionals;
}

/** `--uvm ID` or `--host`, exactly one. */
function target(args: Parsed, usage: string): string | undefined {
  const uvm = stringOption(args, 'uvm');
  const host = flag(args, 'host');
  if ((uvm === undefined) === !host)
    throw usageError(`give exactly one of --uvm ID or --host: ${usage}`);
  return uvm;
}

function requireGuestRoot(args: Parsed, usage: string): string {
  const guestRoot = stringOption(args, 'guest-root');
  if (guestRoot === undefined) throw usageError(`--guest-root is required: ${usage}`);
  return guestRoot;
}

function parseOps(raw: string | undefined): UnmountOp[] | undefined {
  if (raw === undefined) return undefined;
  const ops = raw.split(',').map((s) => s.trim().toLowerCase());
  if (ops.includes('all')) {
    if (ops.length > 1)
      throw usageError(`--op all cannot be combined with other operations (got ${raw})`);
    return [];
  }
  for (const op of ops) {
    if (op !== 'scsi' && op !== 'vsmb' && op !== 'vpmem') {
      throw usageError(`unknown --op ${op}: use scsi, vsmb, vpmem (comma-separated) or all`);
    }
  }
  return [...new Set(ops)] as UnmountOp[];
}

/** Relative folders are refused (the engine says so); only `~` needs no special care here. */
function folders(args: Parsed): { layers: string[]; scratch: string } {
  const all = args.positionals;
  if (all.length < 2) {
    throw usageError('need at least two folders: one or more layers and the scratch (last)');
  }
  return { layers: all.slice(0, -1), scratch: all[all.length - 1] ?? '' };
}

const MOUNT_USAGE = 'mount (--uvm ID | --host) --guest-root PATH LAYER... SCRATCH';
const UNMOUNT_USAGE =
  'unmount (--uvm ID | --host) --guest-root PATH [--op scsi,vsmb,vpmem|all] [LAYER... SCRATCH]';
const CREATE_USAGE =
  'uvm create ID --os linux|windows [--vpmem-count N] [--vpmem-size BYTES] [--scsi-controllers N] [--physically-backed] [--vpmem-multi-mapping] [--boot-files DIR] [--utility-vm DIR]';

export const COMMANDS: readonly Command[] = [
  {
    path: ['uvm', 'create'],
    usage: CREATE_USAGE,
    summary: 'create and start a utility VM',
    options: {
      os: 'string',
      'vpmem-count': 'string',
      'vpmem-size': 'string',
      'scsi-controllers': 'string',
      'physically-backed': 'flag',
      'vpmem-multi-mapping': 'flag',
      'boot-files': 'string',
      'utility-vm': 'string',
    },
    async run(args, ctx) {
      const [id = ''] = positionals(args, 1, CREATE_USAGE);
      const os = stringOption(args, 'os');
      if (os === undefined) throw usageError(`--os is required: ${CREATE_USAGE}`);
      if (os !== 'linux' && os !== 'windows')
        throw usageError(`--os must be linux or windows (got ${os})`);
      const bootFiles = stringOption(args, 'boot-files');
      const utilityVm = stringOption(args, 'utility-vm');
      const view = await (
        await ctx.service()
      ).createUvm({
        id,
        os,
        vpmemCount: intOption(args, 'vpmem-count', 0),
        vpmemMaxSizeBytes: intOption(args, 'vpmem-size', 1),
        scsiControllers: intOption(args, 'scsi-controllers', 1),
        physicallyBacked: flag(args, 'physically-backed'),
        vpmemMultiMapping: flag(args, 'vpmem-multi-mapping'),
        ...(bootFiles === undefined ? {} : { bootFilesPath: path.resolve(bootFiles) }),
        ...(utilityVm === undefined ? {} : { utilityVmPath: path.resolve(utilityVm) }),
      });
      return { json: view, human: formatUvm(view) };
    },
  },
  {
    path: ['uvm', 'list'],
    usage: 'uvm list',
    summary: 'all utility VMs: id, os, state, device counts',
    options: {},
    async run(args, ctx) {
      positionals(args, 0, 'uvm list');
      const list = await (await ctx.service()).listUvms();
      return { json: list, human: formatUvmList(list) };
    },
  },
  {
    path: ['uvm', 'show'],
    usage: 'uvm show ID',
    summary: "a utility VM's devices, combined layers and reserved slots",
    options: {},
    async run(args, ctx) {
      const [id = ''] = positionals(args, 1, 'uvm show ID');
      const service = await ctx.service();
      const view = await service.showUvm(id);
      // Where the backend can read its VM back (qemu), the human view says what differs.
      const report = service.backend === 'qemu' ? await service.verifyUvm(id) : null;
      return { json: view, human: formatUvm(view) + (report ? `\n\n${formatVerify(report)}` : '') };
    },
  },
  {
    path: ['uvm', 'verify'],
    usage: 'uvm verify ID',
    summary: '(qemu) read the VM back (QMP, guest mounts) and report what differs from the ledger',
    options: {},
    async run(args, ctx) {
      const [id = ''] = positionals(args, 1, 'uvm verify ID');
      const service = await ctx.service();
      const report = await service.verifyUvm(id);
      if (!report) {
        throw new UvmLayersError(
          'NOT_SUPPORTED',
          `the ${service.backend} backend cannot read a VM's devices back (sim: its model is the ledger; hcs: HCS lists no devices); use --backend qemu`,
        );
      }
      return { json: report, human: formatVerify(report) };
    },
  },
  {
    path: ['uvm', 'rm'],
    usage: 'uvm rm ID [--force]',
    summary: 'stop and delete a utility VM (refused while containers are mounted, unless --force)',
    options: { force: 'flag' },
    async run(args, ctx) {
      const [id = ''] = positionals(args, 1, 'uvm rm ID [--force]');
      await (await ctx.service()).removeUvm({ id, force: flag(args, 'force') });
      return { json: {}, human: `removed utility VM ${id}` };
    },
  },
  {
    path: ['mount'],
    usage: MOUNT_USAGE,
    summary: "mount a container's layers and scratch; prints the rootfs path",
    options: { uvm: 'string', host: 'flag', 'guest-root': 'string' },
    async run(args, ctx) {
      const uvm = target(args, MOUNT_USAGE);
      const guestRoot = requireGuestRoot(args, MOUNT_USAGE);
      const { layers, scratch } = folders(args);
      const result = await (
        await ctx.service()
      ).mount({
        ...(uvm === undefined ? {} : { uvm }),
        guestRoot,
        layers,
        scratch,
      });
      return { json: result, human: result.rootfs };
    },
  },
  {
    path: ['unmount'],
    usage: UNMOUNT_USAGE,
    summary: 'release what --op covers of a mounted container (default all), from the ledger',
    options: { uvm: 'string', host: 'flag', 'guest-root': 'string', op: 'string' },
    async run(args, ctx) {
      const uvm = target(args, UNMOUNT_USAGE);
      const guestRoot = requireGuestRoot(args, UNMOUNT_USAGE);
      if (args.positionals.length === 1) {
        throw usageError('folders, when given, are the layers and the scratch: at least two');
      }
      const ops = parseOps(stringOption(args, 'op'));
      await (
        await ctx.service()
      ).unmount({
        ...(uvm === undefined ? {} : { uvm }),
        guestRoot,
        ...(ops === undefined ? {} : { ops }),
        ...(args.positionals.length > 0 ? { folders: args.positionals } : {}),
      });
      return {
        json: {},
        human: `unmounted ${guestRoot}${uvm === undefined ? ' from the host' : ` from ${uvm}`}`,
      };
    },
  },
  {
    path: ['containers'],
    usage: 'containers [--uvm ID]',
    summary: 'the ledger: every mounted container and the device each layer holds',
    options: { uvm: 'string' },
    async run(args, ctx) {
      positionals(args, 0, 'containers [--uvm ID]');
      const list = await (await ctx.service()).containers(stringOption(args, 'uvm'));
      return { json: list, human: formatContainers(list) };
    },
  },
  {
    path: ['log'],
    usage: 'log [--uvm ID] [--tail N]',
    summary: 'the HCS requests sent (JSON lines with --json)',
    options: { uvm: 'string', tail: 'string' },
    async run(args, ctx) {
      positionals(args, 0, 'log [--uvm ID] [--tail N]');
      const uvm = stringOption(args, 'uvm');
      const tail = intOption(args, 'tail', 1);
      const entries = await (
        await ctx.service()
      ).log({
        ...(uvm === undefined ? {} : { uvm }),
        ...(tail === undefined ? {} : { tail }),
      });
      return { jsonLines: entries, human: formatLog(entries) };
    },
  },
  {
    path: ['files'],
    usage: 'files --uvm ID --guest-root PATH [SUBPATH]',
    summary: "(qemu) a mounted container's files, each with the layer it comes from",
    options: { uvm: 'string', 'guest-root': 'string' },
    async run(args, ctx) {
      const usage = 'files --uvm ID --guest-root PATH [SUBPATH]';
      const uvm = stringOption(args, 'uvm');
      if (uvm === undefined) throw usageError(`--uvm is required: ${usage}`);
      const guestRoot = requireGuestRoot(args, usage);
      if (args.positionals.length > 1) throw usageError(`at most one SUBPATH: ${usage}`);
      const sub = args.positionals[0];
      const entries = await (
        await ctx.service()
      ).files({ uvm, guestRoot, ...(sub === undefined ? {} : { path: sub }) });
      return { json: entries, human: formatFiles(entries) };
    },
  },
  {
    path: ['layer', 'create'],
    usage: 'layer create DIR|TAR --out FOLDER',
    summary: 'make FOLDER/layer.vhd: ext4 (4K blocks, 2 MiB-padded) with a fixed-VHD footer',
    options: { out: 'string' },
    async run(args) {
      const [input = ''] = positionals(args, 1, 'layer create DIR|TAR --out FOLDER');
      const out = stringOption(args, 'out');
      if (out === undefined)
        throw usageError('--out FOLDER is required: layer create DIR|TAR --out FOLDER');
      const { createLayer } = await import('../tools/index.js');
      const layer = await createLayer(path.resolve(input), path.resolve(out));
      return { json: layer, human: `${layer.path} (${layer.sizeBytes} bytes)` };
    },
  },
  {
    path: ['scratch', 'create'],
    usage: 'scratch create FOLDER [--size BYTES]',
    summary: 'make FOLDER/sandbox.vhdx (sparse; default 1 GiB)',
    options: { size: 'string' },
    async run(args) {
      const [folder = ''] = positionals(args, 1, 'scratch create FOLDER [--size BYTES]');
      const size = intOption(args, 'size', 1024 * 1024);
      const { createScratch } = await import('../tools/index.js');
      const file = await createScratch(path.resolve(folder), ...(size === undefined ? [] : [size]));
      return { json: { path: file }, human: file };
    },
  },
  {
    path: ['image', 'build'],
    usage: 'image build',
    summary: "(qemu) build the utility VM's kernel + initramfs from Debian packages",
    options: {},
    async run(args, ctx) {
      positionals(args, 0, 'image build');
      const { buildUtilityVmImage } = await import('../hcs/qemu/image/index.js');
      const image = await buildUtilityVmImage({
        stateDir: ctx.stateDir,
        log: (line) => process.stderr.write(`${line}\n`),
      });
      return {
        json: image,
        human: `kernel ${image.kernel}\ninitrd ${image.initrd}\n(${image.version})`,
      };
    },
  },
  {
    path: ['serve'],
    usage: 'serve [--port N]',
    summary: 'the web UI on 127.0.0.1, with a random access token in the printed URL',
    options: { port: 'string' },
    async run(args, ctx) {
      positionals(args, 0, 'serve [--port N]');
      const port = intOption(args, 'port', 0, 65535);
      return ctx.serve(port, await ctx.service());
    },
  },
];

export function findCommand(
  words: readonly string[],
): { command: Command; rest: number } | undefined {
  for (const command of COMMANDS) {
    if (command.path.every((w, i) => words[i] === w)) return { command, rest: command.path.length };
  }
  return undefined;
}

export function helpText(): string {
  const width = Math.max(...COMMANDS.map((c) => c.usage.length));
  return [
    'uvm-layers: mount container image layers into utility VMs the way hcsshim does, and see them.',
    '',
    'Usage: uvm-layers [--backend sim|hcs|qemu] [--state-dir DIR] [--json] [--sim-fail-at N] COMMAND',
    '',
    ...COMMANDS.map(
      (c) =>
        `  ${c.usage.length > 60 ? `${c.usage}\n  ${''.padEnd(Math.min(width, 60))}` : c.usage.padEnd(Math.min(width, 60))}  ${c.summary}`,
    ),
    '',
    'State: --state-dir, else $UVM_LAYERS_STATE_DIR, else the app-data folder shared with the desktop app.',
  ].join('\n');
}
