import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

import { isErrorCode } from '../engine/errors.js';
import { createLayer } from './create-layer.js';
import {
  debugfs,
  debugfsRun,
  isRoot,
  mke2fs,
  qemuImg,
  qemuImgInfo,
  tempFolder,
} from './testing-tools.js';
import { readFixedVhd } from './vhd-footer.js';

const MIB = 1024 * 1024;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

async function folder(prefix: string): Promise<string> {
  const t = await tempFolder(prefix);
  cleanups.push(t.cleanup);
  return t.dir;
}

async function writeTree(root: string, files: Record<string, string>): Promise<void> {
  for (const [rel, content] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(root, rel)), { recursive: true });
    await fs.writeFile(path.join(root, rel), content);
  }
}

describe.skipIf(mke2fs === undefined || debugfs === undefined)('createLayer', () => {
  it('turns a directory into a 2 MiB-aligned ext4 fixed VHD', async () => {
    const src = await folder('src');
    const out = await folder('out');
    await writeTree(src, {
      'etc/os-release': 'ID=test\n',
      'bin/tool': '#!/bin/sh\n',
      'data/big.bin': 'x'.repeat(3 * MIB),
    });
    await fs.symlink('/etc/os-release', path.join(src, 'os-release'));

    const layer = await createLayer(src, out);

    expect(layer.path).toBe(path.join(out, 'layer.vhd'));
    const st = await fs.stat(layer.path);
    expect(layer.sizeBytes).toBe(st.size);
    const data = st.size - 512;
    expect(data % (2 * MIB)).toBe(0);
    expect(data).toBeGreaterThan(3 * MIB);
    const vhd = await readFixedVhd(layer.path);
    expect(vhd.dataSize).toBe(data);
    expect(vhd.footer.currentSize).toBe(data);
    expect(debugfsRun(layer.path, 'cat /etc/os-release')).toBe('ID=test\n');
    expect(debugfsRun(layer.path, 'stat /os-release')).toMatch(/Type: symlink/);
    // 4 KiB blocks (DAX over vPMEM needs them) and no journal (read-only layers).
    const superblock = debugfsRun(layer.path, 'stats');
    expect(superblock).toMatch(/Block size:\s+4096/);
    expect(superblock).not.toMatch(/has_journal/);
    // Nothing left behind but the layer.
    expect(await fs.readdir(out)).toEqual(['layer.vhd']);
  });

  it.skipIf(qemuImg === undefined)('is read by qemu-img as vpc with its full size', async () => {
    const src = await folder('src');
    const out = await folder('out');
    await writeTree(src, { 'a.txt': 'a' });
    const layer = await createLayer(src, out);
    const info = qemuImgInfo(layer.path, 'vpc');
    expect(info.format).toBe('vpc');
    expect(info['virtual-size']).toBe(layer.sizeBytes - 512);
  });

  it('sizes the image for many small files (inodes and directory blocks)', async () => {
    const src = await folder('src');
    const out = await folder('out');
    const files: Record<string, string> = {};
    for (let i = 0; i < 3000; i++) files[`d${i % 30}/f${i}`] = String(i);
    await writeTree(src, files);
    const layer = await createLayer(src, out);
    expect(debugfsRun(layer.path, 'cat /d7/f2707')).toBe('2707');
  });

  it.skipIf(!isRoot)(
    'keeps tar whiteouts as char 0/0 devices and opaque dirs as xattrs',
    async () => {
      const src = await folder('tarsrc');
      const out = await folder('out');
      await writeTree(src, {
        'kept.txt': 'kept',
        '.wh.deleted.txt': '',
        'etc/.wh.passwd': '',
        'opaque/.wh..wh..opq': '',
        'opaque/new.txt': 'new',
        'odd "name"/.wh..wh..opq': '',
      });
      const tarFile = path.join(src, '..', `${path.basename(src)}.tar`);
      cleanups.push(() => fs.rm(tarFile, { force: true }));
      execFileSync('tar', ['-cf', tarFile, '-C', src, '.']);

      const layer = await createLayer(tarFile, out);

      for (const p of ['/deleted.txt', '/etc/passwd']) {
        const stat = debugfsRun(layer.path, `stat ${p}`);
        expect(stat).toMatch(/Type: character special/);
        expect(stat).toMatch(/Device major\/minor number: 00:00/);
      }
      const listing = debugfsRun(layer.path, 'ls -l /');
      expect(listing).not.toMatch(/\.wh\./);
      expect(debugfsRun(layer.path, 'ls -l /opaque')).not.toMatch(/\.wh\./);
      expect(debugfsRun(layer.path, 'ea_list /opaque')).toMatch(
        /trusted\.overlay\.opaque \(1\) = "y"/,
      );
      // debugfs quoting: a doubled quote inside quotes is one quote.
      expect(debugfsRun(layer.path, 'ea_list "/odd ""name"""')).toMatch(/trusted\.overlay\.opaque/);
      expect(debugfsRun(layer.path, 'cat /opaque/new.txt')).toBe('new');
      expect(debugfsRun(layer.path, 'cat /kept.txt')).toBe('kept');
    },
  );

  it('refuses to overwrite an existing layer.vhd', async () => {
    const src = await folder('src');
    const out = await folder('out');
    await writeTree(src, { 'a.txt': 'a' });
    await createLayer(src, out);
    await expect(createLayer(src, out)).rejects.toThrow(/already exists/);
  });

  it('reports a missing input or a file that is not a tar', async () => {
    const out = await folder('out');
    const missing = await createLayer(path.join(out, 'nope'), out).catch((e: unknown) => e);
    expect(isErrorCode(missing, 'INVALID_ARGUMENT')).toBe(true);
    const notTar = path.join(out, 'not.tar');
    await fs.writeFile(notTar, 'this is not a tar archive');
    const bad = await createLayer(notTar, path.join(out, 'x')).catch((e: unknown) => e);
    expect(isErrorCode(bad, 'INVALID_ARGUMENT')).toBe(true);
    expect((bad as Error).message).toMatch(/tar/);
    expect(await fs.readdir(path.join(out, 'x'))).toEqual([]);
  });
});
