import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { inspectDiskImage } from './disk-image.js';
import { formatNodeOptions } from './scsi-steps.js';
import {
  vhdFooter,
  writeDynamicVhdHeader,
  writeFixedVhd,
  writeVhdxSignature,
} from './testing/vhd-fixture.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uvm-disk-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const MiB = 1024 * 1024;

function file(name: string): string {
  return path.join(dir, name);
}

describe('inspectDiskImage', () => {
  it('reads a fixed VHD as raw data plus a footer, and QEMU opens it as raw with that size', () => {
    writeFixedVhd(file('fixed.vhd'), 4 * MiB);
    const image = inspectDiskImage(file('fixed.vhd'));
    expect(image).toEqual({ kind: 'fixed-vhd', fileSize: 4 * MiB + 512, dataSize: 4 * MiB });
    expect(formatNodeOptions(image)).toEqual({ driver: 'raw', extra: { size: 4 * MiB } });
  });

  it('tells dynamic VHDs (vpc) and VHDX (vhdx) apart by their bytes, not their names', () => {
    writeDynamicVhdHeader(file('dynamic.vhdx'), 64 * MiB);
    writeVhdxSignature(file('scratch.vhd'));
    expect(formatNodeOptions(inspectDiskImage(file('dynamic.vhdx')))).toEqual({
      driver: 'vpc',
      extra: {},
    });
    expect(formatNodeOptions(inspectDiskImage(file('scratch.vhd')))).toEqual({
      driver: 'vhdx',
      extra: {},
    });
  });

  it('refuses a file without a footer, a corrupt footer, a differencing VHD and a size mismatch', () => {
    fs.writeFileSync(file('raw.img'), Buffer.alloc(MiB));
    expect(formatNodeOptions(inspectDiskImage(file('raw.img')))).toMatch(
      /neither a VHD .* nor a VHDX/,
    );

    writeFixedVhd(file('corrupt.vhd'), MiB);
    const fd = fs.openSync(file('corrupt.vhd'), 'r+');
    fs.writeSync(fd, Buffer.from([0xff]), 0, 1, MiB + 100);
    fs.closeSync(fd);
    expect(inspectDiskImage(file('corrupt.vhd'))).toMatchObject({
      kind: 'unsupported',
      reason: expect.stringContaining('checksum') as unknown,
    });

    fs.writeFileSync(file('diff.vhd'), Buffer.concat([vhdFooter(MiB, 4), Buffer.alloc(2048)]));
    expect(inspectDiskImage(file('diff.vhd'))).toMatchObject({
      reason: expect.stringContaining('differencing') as unknown,
    });

    fs.writeFileSync(file('short.vhd'), Buffer.concat([Buffer.alloc(MiB), vhdFooter(2 * MiB)]));
    expect(inspectDiskImage(file('short.vhd'))).toMatchObject({
      reason: expect.stringContaining(
        `says ${2 * MiB} bytes of data but the file holds ${MiB}`,
      ) as unknown,
    });
  });
});
