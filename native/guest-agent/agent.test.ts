/**
 * The guest agent on the host: its C unit tests (`make test`), then the real static binary driven
 * over stdin/stdout and a Unix socket for every op that needs no VM devices, and the error cases.
 * The ops that need devices run in a real utility VM in main/hcs/qemu/image/image.integration.test.ts.
 */
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { AgentTestClient, encodeFrame, type AgentFrame } from './test-client.js';

const AGENT_DIR = __dirname;
const BINARY = path.join(AGENT_DIR, 'build', 'uvm-agent');
const isRoot = process.getuid?.() === 0;

interface Entry {
  name: string;
  type: string;
  size: number;
  mode: number;
  rdev?: [number, number];
  target?: string;
}

function make(target?: string): string {
  return execFileSync(
    'make',
    ['-C', AGENT_DIR, '--no-print-directory', ...(target ? [target] : [])],
    {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
}

describe('C unit tests (make test)', () => {
  it('pass: framing, JSON reader/writer, base64, arguments, envelopes', () => {
    const out = make('test');
    expect(out).not.toMatch(/^not ok/m);
    const summary = /# (\d+) checks, (\d+) failed/.exec(out);
    expect(summary?.[2]).toBe('0');
    expect(Number(summary?.[1])).toBeGreaterThan(100);
    expect(out.match(/^ok - /gm)?.length).toBeGreaterThanOrEqual(20);
  }, 120_000);
});

describe('uvm-agent --stdio', () => {
  let child: ChildProcessWithoutNullStreams;
  let agent: AgentTestClient;
  let ready: AgentFrame;
  let dir: string;

  beforeAll(async () => {
    make();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uvm-agent-'));
    child = spawn(BINARY, ['--stdio'], { stdio: ['pipe', 'pipe', 'pipe'] });
    agent = new AgentTestClient(child.stdout, child.stdin);
    ready = await agent.waitForEvent('ready');
  }, 120_000);

  afterAll(() => {
    child?.kill();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('is a small static binary (an ELF without an interpreter)', () => {
    const elf = fs.readFileSync(BINARY);
    expect(elf.toString('latin1', 0, 4)).toBe('\x7fELF');
    // A dynamically linked program has a PT_INTERP (3) program header naming ld.so.
    const phoff = Number(elf.readBigUInt64LE(0x20));
    const phentsize = elf.readUInt16LE(0x36);
    const types = Array.from({ length: elf.readUInt16LE(0x38) }, (_, i) =>
      elf.readUInt32LE(phoff + i * phentsize),
    );
    expect(types).not.toContain(3);
    expect(elf.length).toBeLessThan(2 * 1024 * 1024);
  });

  it('announces itself with a ready event', () => {
    expect(ready).toEqual({ event: 'ready', version: 1, uptime: expect.any(Number) as number });
  });

  it('answers hello with a ready event, then the version and uptime (the reconnect handshake)', async () => {
    const order: string[] = [];
    const readyAgain = agent
      .waitForEvent('ready')
      .then((f) => order.push(`event:${String(f.event)}`));
    const result = await agent.call('hello');
    order.push('response');
    await readyAgain;
    expect(order).toEqual(['event:ready', 'response']);
    expect(result).toEqual({ version: 1, uptime: expect.any(Number) as number });
  });

  it('writes a file with an exact mode and reads it back', async () => {
    const file = path.join(dir, 'written.bin');
    const bytes = Buffer.from([0, 1, 2, 250, 255, 10, 13]);
    await agent.call('write_file', { path: file, data: bytes.toString('base64'), mode: 0o600 });
    expect(fs.readFileSync(file)).toEqual(bytes);
    expect(fs.statSync(file).mode & 0o7777).toBe(0o600);
    const read = await agent.call<{ data: string; size: number }>('read_file', { path: file });
    expect(Buffer.from(read.data, 'base64')).toEqual(bytes);
    expect(read.size).toBe(bytes.length);
    // Overwrite truncates and the default mode is 0644.
    const other = path.join(dir, 'default-mode.txt');
    await agent.call('write_file', { path: other, data: Buffer.from('hi').toString('base64') });
    expect(fs.statSync(other).mode & 0o7777).toBe(0o644);
    await agent.call('write_file', { path: file, data: '' });
    expect(fs.statSync(file).size).toBe(0);
  });

  it('reads only the start of a large file but reports its full size', async () => {
    const file = path.join(dir, 'big.txt');
    fs.writeFileSync(file, 'x'.repeat(200_000));
    const head = await agent.call<{ data: string; size: number }>('read_file', {
      path: file,
      maxBytes: 10,
    });
    expect(Buffer.from(head.data, 'base64').toString()).toBe('x'.repeat(10));
    expect(head.size).toBe(200_000);
    const defaultCap = await agent.call<{ data: string; size: number }>('read_file', {
      path: file,
    });
    expect(Buffer.from(defaultCap.data, 'base64').length).toBe(65536);
  });

  it('lists a directory sorted by name with types, sizes, modes, link targets and device numbers', async () => {
    const d = path.join(dir, 'tree');
    fs.mkdirSync(path.join(d, 'sub'), { recursive: true });
    fs.writeFileSync(path.join(d, 'b.txt'), '12345');
    fs.chmodSync(path.join(d, 'b.txt'), 0o640);
    fs.symlinkSync('b.txt', path.join(d, 'a-link'));
    execFileSync('mkfifo', [path.join(d, 'c.fifo')]);
    if (isRoot) execFileSync('mknod', [path.join(d, 'whiteout'), 'c', '0', '0']);
    const { entries } = await agent.call<{ entries: Entry[] }>('list', { path: d });
    expect(entries.map((e) => e.name)).toEqual([
      'a-link',
      'b.txt',
      'c.fifo',
      'sub',
      ...(isRoot ? ['whiteout'] : []),
    ]);
    expect(entries[0]).toEqual({
      name: 'a-link',
      type: 'symlink',
      size: 5,
      mode: 0o777,
      target: 'b.txt',
    });
    expect(entries[1]).toEqual({ name: 'b.txt', type: 'file', size: 5, mode: 0o640 });
    expect(entries[2]).toMatchObject({ name: 'c.fifo', type: 'fifo' });
    expect(entries[3]).toMatchObject({ name: 'sub', type: 'dir' });
    if (isRoot) expect(entries[4]).toMatchObject({ name: 'whiteout', type: 'char', rdev: [0, 0] });
  });

  it('stats a path, including device numbers', async () => {
    expect(await agent.call('stat', { path: '/dev/null' })).toMatchObject({
      name: 'null',
      type: 'char',
      rdev: [1, 3],
    });
    expect(await agent.call('stat', { path: '/' })).toMatchObject({ name: '/', type: 'dir' });
    expect(await agent.call('stat', { path: `${dir}/` })).toMatchObject({
      name: path.basename(dir),
      type: 'dir',
    });
  });

  it('shows names that are not UTF-8 with U+FFFD instead of breaking the frame', async () => {
    const d = path.join(dir, 'latin1');
    fs.mkdirSync(d);
    fs.writeFileSync(Buffer.concat([Buffer.from(`${d}/caf`), Buffer.from([0xe9])]), '');
    const { entries } = await agent.call<{ entries: Entry[] }>('list', { path: d });
    expect(entries.map((e) => e.name)).toEqual(['caf\uFFFD']);
  });

  it('reports the mount table', async () => {
    const { mounts } = await agent.call<{
      mounts: { source: string; target: string; fstype: string; options: string }[];
    }>('mounts');
    expect(mounts.some((m) => m.target === '/')).toBe(true);
    expect(mounts.find((m) => m.target === '/proc')?.fstype).toBe('proc');
  });

  it('answers pipelined requests in order', async () => {
    const results = await Promise.all([1, 2, 3, 4, 5].map(() => agent.request('hello')));
    const ids = results.map((r) => r.id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(results.every((r) => r.ok)).toBe(true);
  });

  describe('errors carry errno, its name and a message with the path', () => {
    const cases: [string, Record<string, unknown>, string, RegExp][] = [
      [
        'list',
        { path: '/no/such/dir' },
        'ENOENT',
        /^list \/no\/such\/dir: No such file or directory$/,
      ],
      ['stat', { path: '/no/such/file' }, 'ENOENT', /^stat \/no\/such\/file: /],
      ['read_file', { path: '/' }, 'EISDIR', /^read_file \/: Is a directory$/],
      [
        'write_file',
        { path: '/no/such/dir/f', data: '' },
        'ENOENT',
        /^write_file \/no\/such\/dir\/f: /,
      ],
      ['write_file', { path: '/tmp/x', data: '!!' }, 'EINVAL', /not valid base64/],
      ['list', { path: 'relative' }, 'EINVAL', /must be an absolute path, got 'relative'/],
      ['list', {}, 'EINVAL', /^list: missing argument 'path'/],
      [
        'read_file',
        { path: '/etc/hostname', maxBytes: 'ten' },
        'EINVAL',
        /'maxBytes' must be an integer/,
      ],
      [
        'mount_scsi',
        { target: 7, lun: 99, path: '/mnt/x', timeoutMs: 100 },
        'ETIMEDOUT',
        /no SCSI disk at \*:0:7:99 .* after 100 ms/,
      ],
      ['mount_scsi', { target: 0, lun: -1, path: '/mnt/x' }, 'EINVAL', /'lun' = -1 is outside/],
      [
        'format_if_blank',
        { target: 7, lun: 98, timeoutMs: 50 },
        'ETIMEDOUT',
        /no SCSI disk at \*:0:7:98/,
      ],
      [
        'mount_pmem',
        { memaddr: 0x7ff00000000, path: '/mnt/p', timeoutMs: 50 },
        'ETIMEDOUT',
        /no nd region at 0x7ff00000000/,
      ],
      ['scsi_unplug', { target: 7, lun: 97 }, 'ENOENT', /no SCSI device \*:0:7:97/],
      ['overlay', { lowers: ['/a:b'], scratch: '/s', target: '/t' }, 'EINVAL', /contains ':'/],
      ['overlay', { lowers: [], scratch: '/s', target: '/t' }, 'EINVAL', /'lowers' is empty/],
      [
        'overlay',
        { lowers: '/a', scratch: '/s', target: '/t' },
        'EINVAL',
        /must be an array of strings/,
      ],
      ['exec', { cmd: 'sh' }, 'ENOSYS', /^unknown op 'exec'/],
    ];
    for (const [op, args, code, message] of cases) {
      it(`${op} ${JSON.stringify(args)} → ${code}`, async () => {
        const response = await agent.request(op, args);
        expect(response.ok).toBe(false);
        if (response.ok) return;
        expect(response.error.code).toBe(code);
        expect(response.error.errno).toBeGreaterThan(0);
        expect(response.error.message).toMatch(message);
      });
    }

    it('unmount of a path that is not mounted fails (EINVAL as root, EPERM otherwise)', async () => {
      const response = await agent.request('unmount', { path: dir, removeDir: false });
      expect(response.ok).toBe(false);
      if (!response.ok)
        expect(isRoot ? ['EINVAL'] : ['EPERM', 'EINVAL']).toContain(response.error.code);
      expect(fs.existsSync(dir)).toBe(true);
    });
  });

  it('answers a malformed frame for id 0 and keeps serving', async () => {
    const body = Buffer.from('{"id":5,"op":');
    const header = Buffer.alloc(4);
    header.writeUInt32BE(body.length);
    agent.writeRaw(Buffer.concat([header, body]));
    const error = await agent.waitFor((f) => f.id === 0);
    expect(error).toMatchObject({ ok: false, error: { code: 'EBADMSG' } });
    expect((await agent.request('hello')).ok).toBe(true);
  });

  it('skips a frame over 1 MiB, answers it for id 0, and keeps serving', async () => {
    agent.writeRaw(
      encodeFrame({
        id: 77,
        op: 'write_file',
        path: '/tmp/never',
        data: 'A'.repeat(1024 * 1024 + 16),
      }),
    );
    const error = await agent.waitFor((f) => f.id === 0);
    expect(error).toMatchObject({ ok: false, error: { code: 'EMSGSIZE' } });
    expect((error.error as { message: string }).message).toMatch(/exceeds the 1048576-byte limit/);
    expect((await agent.request('hello')).ok).toBe(true);
  });

  it('turns a result over 1 MiB into an error instead of an oversized frame', async () => {
    const d = path.join(dir, 'huge');
    fs.mkdirSync(d);
    // 9,000 entries × ~150 bytes of JSON each is over 1 MiB.
    for (let i = 0; i < 9000; i++)
      fs.writeFileSync(path.join(d, `file-with-a-rather-long-name-${'n'.repeat(60)}-${i}`), '');
    const response = await agent.request('list', { path: d });
    expect(response).toMatchObject({ ok: false, error: { code: 'EMSGSIZE' } });
  });
});

describe('uvm-agent --listen (reconnecting host)', () => {
  let child: ChildProcessWithoutNullStreams | undefined;
  const socketDir = fs.mkdtempSync(path.join(os.tmpdir(), 'uvm-agent-sock-'));
  const socketPath = path.join(socketDir, 'agent.sock');

  afterAll(() => {
    child?.kill();
    fs.rmSync(socketDir, { recursive: true, force: true });
  });

  it('greets every new connection with ready and serves it', async () => {
    make();
    child = spawn(BINARY, ['--listen', socketPath], { stdio: ['pipe', 'pipe', 'pipe'] });
    for (let round = 0; round < 2; round++) {
      const agent = await AgentTestClient.connectUnix(socketPath);
      expect(await agent.waitForEvent('ready')).toMatchObject({ event: 'ready', version: 1 });
      expect(await agent.call('hello')).toMatchObject({ version: 1 });
      agent.close();
    }
  }, 30_000);
});
