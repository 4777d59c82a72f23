import { describe, expect, it } from 'vitest';

import { chsGeometry, createVhdFooter, parseVhdFooter, vhdChecksum } from './vhd-footer.js';

const MIB = 1024 * 1024;
const FIXED_DATE = new Date(Date.UTC(2020, 0, 1));
const UUID = '0123abcd-4567-89ef-0123-456789abcdef';

/** The spec's checksum, computed independently of the code under test. */
function referenceChecksum(footer: Buffer): number {
  let sum = 0;
  footer.forEach((byte, i) => {
    if (i < 64 || i >= 68) sum += byte;
  });
  return ~sum >>> 0;
}

// The spec's algorithm rounds down; qemu-img's own vpc creator rounds up (964/8/17 for 64 MiB), so
// these values come from the spec, not from qemu-img.
describe('CHS geometry (VHD spec appendix)', () => {
  it('gives 963/8/17 for 64 MiB, as QEMU-NOTES measured', () => {
    expect(chsGeometry(64 * MIB)).toEqual({ cylinders: 963, heads: 8, sectorsPerTrack: 17 });
  });
  it('switches to 16 heads and 63 sectors for 1 GiB', () => {
    expect(chsGeometry(1024 * MIB)).toEqual({ cylinders: 2080, heads: 16, sectorsPerTrack: 63 });
  });
  it('uses 31 sectors per track in the middle band (140 MiB)', () => {
    expect(chsGeometry(140 * MIB)).toEqual({ cylinders: 578, heads: 16, sectorsPerTrack: 31 });
  });
  it('keeps at least 4 heads for tiny disks (4 MiB)', () => {
    expect(chsGeometry(4 * MIB)).toEqual({ cylinders: 120, heads: 4, sectorsPerTrack: 17 });
  });
  it('caps at 65535/16/255 above ~127 GiB', () => {
    expect(chsGeometry(2 * 1024 * 1024 * MIB)).toEqual({
      cylinders: 65535,
      heads: 16,
      sectorsPerTrack: 255,
    });
  });
});

describe('createVhdFooter', () => {
  const footer = createVhdFooter({ sizeBytes: 64 * MIB, date: FIXED_DATE, uuid: UUID });

  it('is 512 bytes with every field where the spec puts it', () => {
    expect(footer.length).toBe(512);
    expect(footer.toString('latin1', 0, 8)).toBe('conectix');
    expect(footer.readUInt32BE(8)).toBe(2);
    expect(footer.readUInt32BE(12)).toBe(0x00010000);
    expect(footer.readBigUInt64BE(16)).toBe(0xffffffffffffffffn);
    // 2020-01-01 is 7305 days after 2000-01-01.
    expect(footer.readUInt32BE(24)).toBe(7305 * 86400);
    expect(footer.toString('latin1', 28, 32)).toBe('win ');
    expect(footer.readUInt32BE(32)).toBe(0x000a0000);
    expect(footer.toString('latin1', 36, 40)).toBe('Wi2k');
    expect(footer.readBigUInt64BE(40)).toBe(BigInt(64 * MIB));
    expect(footer.readBigUInt64BE(48)).toBe(BigInt(64 * MIB));
    expect([footer.readUInt16BE(56), footer[58], footer[59]]).toEqual([963, 8, 17]);
    expect(footer.readUInt32BE(60)).toBe(2);
    expect(footer.subarray(68, 84).toString('hex')).toBe(UUID.replace(/-/g, ''));
    expect(footer[84]).toBe(0);
    expect(footer.subarray(85).every((b) => b === 0)).toBe(true);
  });

  it('carries the ones-complement checksum of its bytes', () => {
    expect(footer.readUInt32BE(64)).toBe(referenceChecksum(footer));
    expect(vhdChecksum(footer)).toBe(footer.readUInt32BE(64));
  });

  it('uses a fresh random UUID each time unless told', () => {
    const a = createVhdFooter({ sizeBytes: 2 * MIB });
    const b = createVhdFooter({ sizeBytes: 2 * MIB });
    expect(parseVhdFooter(a).uuid).not.toBe(parseVhdFooter(b).uuid);
    expect(parseVhdFooter(a).checksumValid).toBe(true);
  });

  it('refuses sizes that are not whole sectors', () => {
    expect(() => createVhdFooter({ sizeBytes: 1000 })).toThrow(/multiple of 512/);
    expect(() => createVhdFooter({ sizeBytes: 0 })).toThrow(/multiple of 512/);
  });
});

describe('parseVhdFooter', () => {
  const footer = createVhdFooter({ sizeBytes: 64 * MIB, date: FIXED_DATE, uuid: UUID });

  it('reads back what createVhdFooter wrote', () => {
    const parsed = parseVhdFooter(footer);
    expect(parsed).toMatchObject({
      cookie: 'conectix',
      features: 2,
      version: 0x00010000,
      dataOffset: 0xffffffffffffffffn,
      timestamp: 7305 * 86400,
      creatorApp: 'win ',
      creatorVersion: 0x000a0000,
      creatorOs: 'Wi2k',
      originalSize: 64 * MIB,
      currentSize: 64 * MIB,
      geometry: { cylinders: 963, heads: 8, sectorsPerTrack: 17 },
      diskType: 2,
      checksumValid: true,
      uuid: UUID,
      savedState: 0,
    });
  });

  it('reads the footer at the end of a whole image', () => {
    const image = Buffer.concat([Buffer.alloc(4096, 7), footer]);
    expect(parseVhdFooter(image).currentSize).toBe(64 * MIB);
  });

  it('reports a damaged footer through checksumValid', () => {
    const damaged = Buffer.from(footer);
    damaged[100] = 1;
    const parsed = parseVhdFooter(damaged);
    expect(parsed.checksumValid).toBe(false);
    expect(parsed.computedChecksum).not.toBe(parsed.checksum);
  });

  it('rejects data without the conectix cookie', () => {
    expect(() => parseVhdFooter(Buffer.alloc(512))).toThrow(/not a VHD/);
    expect(() => parseVhdFooter(Buffer.alloc(100))).toThrow(/512 bytes/);
  });
});
