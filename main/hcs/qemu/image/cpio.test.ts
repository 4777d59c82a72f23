import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

import { findExecutable } from '../../../tools/host-tools.js';
import { CpioWriter, readCpio } from './cpio.js';

describe('CpioWriter (newc)', () => {
  const archive = new CpioWriter()
    .file('/init', '#!/bin/sh\n', 0o755)
    .file('lib/modules/6.1/kernel/a.ko', Buffer.from([1, 2, 3]))
    .symlink('bin/sh', 'busybox')
    .charDevice('dev/console', 5, 1)
    .toBuffer();

  it('adds parent directories before their children and ends with the trailer', () => {
    const names = readCpio(archive).map((e) => e.name);
    expect(names).toEqual([
      'init',
      'lib',
      'lib/modules',
      'lib/modules/6.1',
      'lib/modules/6.1/kernel',
      'lib/modules/6.1/kernel/a.ko',
      'bin',
      'bin/sh',
      'dev',
      'dev/console',
    ]);
    expect(archive.toString('latin1', archive.length - 512)).toContain('TRAILER!!!');
  });

  it('keeps every record 4-byte aligned with exact modes, sizes and device numbers', () => {
    expect(archive.length % 4).toBe(0);
    const byName = new Map(readCpio(archive).map((e) => [e.name, e]));
    expect(byName.get('init')).toMatchObject({ mode: 0o100755, size: 10 });
    expect(byName.get('init')?.data.toString()).toBe('#!/bin/sh\n');
    expect(byName.get('lib')?.mode).toBe(0o040755);
    expect(byName.get('bin/sh')).toMatchObject({ mode: 0o120777 });
    expect(byName.get('bin/sh')?.data.toString()).toBe('busybox');
    expect(byName.get('dev/console')).toMatchObject({ mode: 0o020600, rdevMajor: 5, rdevMinor: 1 });
  });

  it('refuses duplicates and names that climb out', () => {
    const w = new CpioWriter().file('a', 'x');
    expect(() => w.file('/a', 'y')).toThrow(/duplicate/);
    expect(() => w.file('../etc/passwd', 'y')).toThrow(/bad entry name/);
  });

  // An independent reader: GNU cpio, or busybox's cpio applet (busybox-static is installed for
  // the image anyway).
  const cpio = findExecutable('cpio') ?? findExecutable('busybox');
  it.skipIf(cpio === undefined)('is listed by an independent cpio reader', () => {
    const args = cpio?.endsWith('busybox') ? ['cpio', '-t'] : ['-t', '--quiet'];
    const list = execFileSync(cpio as string, args, {
      input: archive,
      encoding: 'utf8',
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    expect(list.trim().split('\n')).toEqual(readCpio(archive).map((e) => e.name));
  });
});
