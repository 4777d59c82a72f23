import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

import { isErrorCode } from '../engine/errors.js';
import { createScratch } from './create-scratch.js';
import { qemuImg, qemuImgInfo, tempFolder } from './testing-tools.js';

const MIB = 1024 * 1024;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

describe.skipIf(qemuImg === undefined)('createScratch', () => {
  it('creates a sparse 1 GiB VHDX by default', async () => {
    const t = await tempFolder('scratch');
    cleanups.push(t.cleanup);
    const file = await createScratch(t.dir);
    expect(file).toBe(path.join(t.dir, 'sandbox.vhdx'));
    const info = qemuImgInfo(file, 'vhdx');
    expect(info.format).toBe('vhdx');
    expect(info['virtual-size']).toBe(1024 * MIB);
    expect((await fs.stat(file)).size).toBeLessThan(16 * MIB);
    expect(await fs.readdir(t.dir)).toEqual(['sandbox.vhdx']);
  });

  it('honours an explicit size and refuses to replace an existing scratch', async () => {
    const t = await tempFolder('scratch');
    cleanups.push(t.cleanup);
    const file = await createScratch(path.join(t.dir, 'c1'), 64 * MIB);
    expect(qemuImgInfo(file, 'vhdx')['virtual-size']).toBe(64 * MIB);
    const again = await createScratch(path.join(t.dir, 'c1'), 64 * MIB).catch((e: unknown) => e);
    expect(isErrorCode(again, 'INVALID_ARGUMENT')).toBe(true);
    expect((again as Error).message).toMatch(/already exists/);
  });

  it('rejects sizes that are not whole MiB', async () => {
    const t = await tempFolder('scratch');
    cleanups.push(t.cleanup);
    for (const size of [0, 1000, MIB + 1, -MIB, 1.5 * MIB]) {
      const error = await createScratch(t.dir, size).catch((e: unknown) => e);
      expect(isErrorCode(error, 'INVALID_ARGUMENT')).toBe(true);
    }
  });
});
