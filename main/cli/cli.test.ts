/**
 * The CLI contract in-process: JSON shapes, global options on either side of the command, and
 * for every command its bad input: a clear one-line error, a non-zero exit, the JSON error
 * document, and the state folder byte-for-byte unchanged.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { makeLayer, makeScratch, tempDir } from '../engine/testing/fixtures.js';
import { stateFiles } from './testing/cli-process.js';
import { runCli } from './run.js';

async function cli(state: string, args: string[]) {
  let stdout = '';
  let stderr = '';
  const status = await runCli(args, {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    env: { UVM_LAYERS_STATE_DIR: state },
  });
  return { status, stdout, stderr };
}

let root: string;
let state: string;
let base: string;
let app: string;
let scratch: string;

beforeEach(async () => {
  root = tempDir();
  state = path.join(root, 'state');
  base = makeLayer(root, 'base');
  app = makeLayer(root, 'app');
  scratch = makeScratch(root, 'scratch');
  fs.mkdirSync(path.join(root, 'empty'));
  makeScratch(root, 'scratch2');
  expect((await cli(state, ['uvm', 'create', 'u1', '--os', 'linux'])).status).toBe(0);
  expect((await cli(state, ['uvm', 'create', 'w1', '--os', 'windows'])).status).toBe(0);
  expect(
    (await cli(state, ['mount', '--uvm', 'u1', '--guest-root', '/run/gcs/c/a', base, app, scratch]))
      .status,
  ).toBe(0);
});

describe('JSON output', () => {
  it('prints the shapes of DESIGN.md, with global options before or after the command', async () => {
    const list = await cli(state, ['--json', 'uvm', 'list']);
    expect(JSON.parse(list.stdout)).toEqual([
      { id: 'u1', os: 'linux', state: 'Running', scsi: 1, vpmem: 2, vsmb: 0, containers: 1 },
      { id: 'w1', os: 'windows', state: 'Running', scsi: 0, vpmem: 0, vsmb: 0, containers: 0 },
    ]);
    const show = JSON.parse(
      (await cli(state, ['uvm', 'show', 'w1', '--json', '--state-dir', state])).stdout,
    ) as unknown;
    expect(show).toEqual({
      id: 'w1',
      os: 'windows',
      state: 'Running',
      options: {
        vpmemCount: 64,
        vpmemMaxSizeBytes: 4294967296,
        scsiControllers: 1,
        physicallyBacked: false,
        vpmemMultiMapping: false,
      },
      scsi: [],
      vpmem: [],
      vsmb: [],
      combinedLayers: [],
      reserved: [{ kind: 'scsi', controller: 0, lun: 0, purpose: 'uvm scratch' }],
    });
    const containers = JSON.parse((await cli(state, ['containers', '--json'])).stdout) as unknown;
    expect(containers).toEqual([
      {
        uvm: 'u1',
        guestRoot: '/run/gcs/c/a',
        rootfs: '/run/gcs/c/a/rootfs',
        scratch: { hostPath: path.join(scratch, 'sandbox.vhdx'), device: '0:0', released: false },
        layers: [
          { folder: base, kind: 'vpmem', device: '0', uvmPath: '/run/layers/p0', released: false },
          { folder: app, kind: 'vpmem', device: '1', uvmPath: '/run/layers/p1', released: false },
        ],
      },
    ]);
    const log = (await cli(state, ['log', '--uvm', 'u1', '--tail', '2', '--json'])).stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(log).toHaveLength(2);
    expect(Object.keys(log[0]!).sort()).toEqual(['ms', 'ok', 'request', 'seq', 'time', 'uvm']);
    expect(log[1]).toMatchObject({
      uvm: 'u1',
      ok: true,
      request: { GuestRequest: { ResourceType: 'CombinedLayers' } },
    });
    expect(new Date(log[1]!.time as string).toISOString()).toBe(log[1]!.time);
    expect(
      JSON.parse(
        (
          await cli(state, [
            'unmount',
            '--uvm',
            'u1',
            '--guest-root',
            '/run/gcs/c/a',
            '--op',
            'scsi',
            '--json',
          ])
        ).stdout,
      ),
    ).toEqual({});
    expect(JSON.parse((await cli(state, ['uvm', 'rm', 'w1', '--json'])).stdout)).toEqual({});
  });

  it('host (Argon) mounts print a volume path and unmount only with all', async () => {
    const mounted = await cli(state, [
      'mount',
      '--host',
      '--guest-root',
      '/c/argon',
      '--json',
      base,
      path.join(root, 'scratch2'),
    ]);
    expect(mounted.status).toBe(0);
    expect((JSON.parse(mounted.stdout) as { rootfs: string }).rootfs).toMatch(
      /^\\\\\?\\Volume\{[0-9a-f-]{36}\}\\$/,
    );
    const listed = JSON.parse((await cli(state, ['containers', '--json'])).stdout) as {
      uvm: string | null;
    }[];
    expect(listed.map((c) => c.uvm)).toEqual(['u1', null]);
    expect((await cli(state, ['unmount', '--host', '--guest-root', '/c/argon'])).status).toBe(0);
  });
});

describe('help and version', () => {
  it('prints the version and the command list, on their own or after a command', async () => {
    const { version } = JSON.parse(
      fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8'),
    ) as { version: string };
    for (const args of [['--version'], ['uvm', 'list', '--version']]) {
      expect(await cli(state, args)).toEqual({
        status: 0,
        stdout: `uvm-layers ${version}\n`,
        stderr: '',
      });
    }
    for (const args of [['--help'], ['help'], ['mount', '--help']]) {
      const r = await cli(state, args);
      expect(r.status).toBe(0);
      expect(r.stdout).toContain('mount (--uvm ID | --host) --guest-root PATH LAYER... SCRATCH');
      expect(r.stdout).toContain('files --uvm ID --guest-root PATH [SUBPATH]');
    }
  });
});

describe('layer tools', () => {
  it('layer create and scratch create make folders that mount', async () => {
    const src = path.join(root, 'src');
    fs.mkdirSync(path.join(src, 'etc'), { recursive: true });
    fs.writeFileSync(path.join(src, 'etc', 'hello'), 'hi');
    const layer = await cli(state, [
      'layer',
      'create',
      src,
      '--out',
      path.join(root, 'built'),
      '--json',
    ]);
    expect(layer.stderr).toBe('');
    const made = JSON.parse(layer.stdout) as { path: string; sizeBytes: number };
    expect(made.path).toBe(path.join(root, 'built', 'layer.vhd'));
    expect((made.sizeBytes - 512) % (2 * 1024 * 1024)).toBe(0);
    const scratchOut = await cli(state, ['scratch', 'create', path.join(root, 'fresh'), '--json']);
    expect(JSON.parse(scratchOut.stdout)).toEqual({
      path: path.join(root, 'fresh', 'sandbox.vhdx'),
    });
    const mounted = await cli(state, [
      'mount',
      '--uvm',
      'u1',
      '--guest-root',
      '/run/gcs/c/built',
      path.join(root, 'built'),
      path.join(root, 'fresh'),
    ]);
    expect(mounted.stdout.trim()).toBe('/run/gcs/c/built/rootfs');
  });
});

describe('bad input is refused with a clear error and changes nothing', () => {
  const missing = '/nonexistent/layer';
  const cases: [string, (r: string) => string[], string, number][] = [
    ['no command', () => [], 'no command given', 2],
    ['unknown command', () => ['frob'], 'unknown command `frob`', 2],
    ['unknown option', () => ['uvm', 'list', '--frob'], 'unknown option --frob', 2],
    [
      'unknown backend',
      () => ['--backend', 'vmware', 'uvm', 'list'],
      '--backend must be sim, hcs or qemu',
      2,
    ],
    [
      'changing a UVM with another backend',
      (r) => [
        '--backend',
        'qemu',
        'mount',
        '--uvm',
        'u1',
        '--guest-root',
        '/run/gcs/c/b',
        `${r}/base`,
        `${r}/scratch2`,
      ],
      'was created with the sim backend',
      2,
    ],
    ['hcs backend off Windows', () => ['--backend', 'hcs', 'uvm', 'list'], 'use --backend sim', 1],
    [
      'sim-fail-at 0',
      () => ['--sim-fail-at', '0', 'uvm', 'list'],
      '--sim-fail-at must be from 1',
      2,
    ],
    ['create without id', () => ['uvm', 'create', '--os', 'linux'], 'expected one argument', 2],
    ['create without os', () => ['uvm', 'create', 'u2'], '--os is required', 2],
    [
      'create with a bad os',
      () => ['uvm', 'create', 'u2', '--os', 'bsd'],
      '--os must be linux or windows',
      2,
    ],
    [
      'create with a bad id',
      () => ['uvm', 'create', '../x', '--os', 'linux'],
      'invalid utility VM id',
      2,
    ],
    ['create an existing id', () => ['uvm', 'create', 'u1', '--os', 'linux'], 'already exists', 1],
    [
      'too many vPMEM devices',
      () => ['uvm', 'create', 'u2', '--os', 'linux', '--vpmem-count', '129'],
      'VPMem device count cannot be greater than 128',
      2,
    ],
    [
      'vPMEM count not a number',
      () => ['uvm', 'create', 'u2', '--os', 'linux', '--vpmem-count', 'x'],
      '--vpmem-count must be a whole number',
      2,
    ],
    [
      'vPMEM size not a page multiple',
      () => ['uvm', 'create', 'u2', '--os', 'linux', '--vpmem-size', '4097'],
      'VPMemSizeBytes must be a multiple of 4096',
      2,
    ],
    [
      'five SCSI controllers',
      () => ['uvm', 'create', 'u2', '--os', 'linux', '--scsi-controllers', '5'],
      'must be a whole number from 1 to 4',
      2,
    ],
    [
      'WCOW with two controllers',
      () => ['uvm', 'create', 'w2', '--os', 'windows', '--scsi-controllers', '2'],
      'exactly 1 SCSI controller is required for WCOW',
      2,
    ],
    ['show an unknown UVM', () => ['uvm', 'show', 'nope'], 'utility VM nope does not exist', 1],
    ['rm an unknown UVM', () => ['uvm', 'rm', 'nope'], 'utility VM nope does not exist', 1],
    [
      'rm a UVM with containers',
      () => ['uvm', 'rm', 'u1'],
      'unmount them first or pass --force',
      1,
    ],
    [
      'mount without a target',
      (r) => ['mount', '--guest-root', '/run/gcs/c/b', `${r}/base`, `${r}/scratch2`],
      'give exactly one of --uvm ID or --host',
      2,
    ],
    [
      'mount with both targets',
      (r) => [
        'mount',
        '--uvm',
        'u1',
        '--host',
        '--guest-root',
        '/run/gcs/c/b',
        `${r}/base`,
        `${r}/scratch2`,
      ],
      'give exactly one',
      2,
    ],
    [
      'mount without a guest root',
      (r) => ['mount', '--uvm', 'u1', `${r}/base`, `${r}/scratch2`],
      '--guest-root is required',
      2,
    ],
    [
      'mount with one folder',
      (r) => ['mount', '--uvm', 'u1', '--guest-root', '/run/gcs/c/b', `${r}/scratch2`],
      'need at least two folders',
      2,
    ],
    [
      'mount a relative folder',
      () => ['mount', '--uvm', 'u1', '--guest-root', '/run/gcs/c/b', 'base', 'scratch2'],
      'is relative',
      2,
    ],
    [
      'mount a missing folder',
      (r) => ['mount', '--uvm', 'u1', '--guest-root', '/run/gcs/c/b', missing, `${r}/scratch2`],
      'does not exist',
      1,
    ],
    [
      'mount a folder without layer.vhd',
      (r) => [
        'mount',
        '--uvm',
        'u1',
        '--guest-root',
        '/run/gcs/c/b',
        `${r}/empty`,
        `${r}/scratch2`,
      ],
      'has no layer.vhd',
      1,
    ],
    [
      'mount a scratch without sandbox.vhdx',
      (r) => ['mount', '--uvm', 'u1', '--guest-root', '/run/gcs/c/b', `${r}/base`, `${r}/empty`],
      'has no sandbox.vhdx',
      1,
    ],
    [
      'mount into an unknown UVM',
      (r) => [
        'mount',
        '--uvm',
        'nope',
        '--guest-root',
        '/run/gcs/c/b',
        `${r}/base`,
        `${r}/scratch2`,
      ],
      'does not exist',
      1,
    ],
    [
      'mount LCOW at a Windows path',
      (r) => ['mount', '--uvm', 'u1', '--guest-root', 'C:\\c\\1', `${r}/base`, `${r}/scratch2`],
      'is not an absolute Linux path',
      2,
    ],
    [
      'mount WCOW at a Linux path',
      (r) => ['mount', '--uvm', 'w1', '--guest-root', '/c/1', `${r}/base`, `${r}/scratch2`],
      'is not a drive path',
      2,
    ],
    [
      'mount over a mounted guest root',
      (r) => ['mount', '--uvm', 'u1', '--guest-root', '/run/gcs/c/a', `${r}/base`, `${r}/scratch2`],
      'already mounted at /run/gcs/c/a',
      1,
    ],
    [
      'unmount an unknown guest root',
      () => ['unmount', '--uvm', 'u1', '--guest-root', '/run/gcs/c/zzz'],
      'no container is mounted at /run/gcs/c/zzz',
      1,
    ],
    [
      'unmount with a bad op',
      () => ['unmount', '--uvm', 'u1', '--guest-root', '/run/gcs/c/a', '--op', 'disk'],
      'unknown --op disk',
      2,
    ],
    [
      'unmount with all and more',
      () => ['unmount', '--uvm', 'u1', '--guest-root', '/run/gcs/c/a', '--op', 'all,scsi'],
      'cannot be combined',
      2,
    ],
    [
      'host unmount other than all',
      () => ['unmount', '--host', '--guest-root', '/c/x', '--op', 'scsi'],
      'unmountOperationAll',
      2,
    ],
    [
      'unmount with other folders',
      (r) => ['unmount', '--uvm', 'u1', '--guest-root', '/run/gcs/c/a', `${r}/app`, `${r}/scratch`],
      'do not match the ledger',
      2,
    ],
    [
      'unmount with one folder',
      (r) => ['unmount', '--uvm', 'u1', '--guest-root', '/run/gcs/c/a', `${r}/scratch`],
      'at least two',
      2,
    ],
    ['containers of an unknown UVM', () => ['containers', '--uvm', 'nope'], 'does not exist', 1],
    ['log with tail 0', () => ['log', '--tail', '0'], '--tail must be from 1', 2],
    [
      'serve on a bad port',
      () => ['serve', '--port', '70000'],
      '--port must be from 0 to 65535',
      2,
    ],
    ['an option without its value', () => ['uvm', 'show', '--state-dir'], 'needs a value', 2],
    [
      'layer create without --out',
      (r) => ['layer', 'create', `${r}/empty`],
      '--out FOLDER is required',
      2,
    ],
    [
      'layer create from nothing',
      (r) => ['layer', 'create', `${r}/nope`, '--out', `${r}/built`],
      'nope',
      2,
    ],
    [
      'scratch create with a bad size',
      (r) => ['scratch', 'create', `${r}/s9`, '--size', '12'],
      '--size must be from',
      2,
    ],
  ];

  it.each(cases)('%s', async (_, args, message, code) => {
    const before = stateFiles(state);
    const plain = await cli(state, args(root));
    expect(plain.status).toBe(code);
    expect(plain.stderr).toContain(message);
    expect(plain.stderr.trim().split('\n')).toHaveLength(1);
    expect(plain.stderr).toMatch(/^uvm-layers: error: /);
    const json = await cli(state, [...args(root), '--json']);
    expect(json.status).toBe(code);
    const doc = JSON.parse(json.stdout) as { error: { code: string; message: string } };
    expect(doc.error.message).toContain(message);
    expect(doc.error.code).toMatch(/^[A-Z_]+$/);
    expect(stateFiles(state)).toEqual(before);
  });

  it('a corrupt store is refused and never overwritten', async () => {
    const file = path.join(state, 'uvm', 'u1.json');
    fs.writeFileSync(file, '{"format":1,"revision":');
    const before = stateFiles(state);
    for (const args of [
      ['uvm', 'show', 'u1'],
      ['uvm', 'list'],
      ['mount', '--uvm', 'u1', '--guest-root', '/run/gcs/c/b', base, path.join(root, 'scratch2')],
    ]) {
      const r = await cli(state, [...args, '--json']);
      expect(r.status).toBe(1);
      expect((JSON.parse(r.stdout) as { error: { code: string } }).error.code).toBe(
        'STORE_CORRUPT',
      );
      expect(r.stderr).toContain(file);
    }
    expect(stateFiles(state)).toEqual(before);
  });
});
