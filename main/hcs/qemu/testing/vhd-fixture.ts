/**
 * Disk image files for tests: a fixed VHD (data + a 512-byte footer built here, per the VHD
 * spec: cookie, fixed type, sizes, CHS geometry, checksum), a dynamic-VHD header, a VHDX
 * signature. Enough for format detection and the fake QEMU; real QEMU opens them too.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';

export function vhdFooter(dataSize: number, diskType = 2): Buffer {
  const footer = Buffer.alloc(512);
  footer.write('conectix', 0, 'latin1');
  footer.writeUInt32BE(2, 8);
  footer.writeUInt32BE(0x00010000, 12);
  footer.writeBigUInt64BE(diskType === 2 ? 0xffffffffffffffffn : 512n, 16);
  footer.writeUInt32BE(Math.floor((Date.now() - Date.UTC(2000, 0, 1)) / 1000), 24);
  footer.write('win ', 28, 'latin1');
  footer.writeUInt32BE(0x000a0000, 32);
  footer.write('Wi2k', 36, 'latin1');
  footer.writeBigUInt64BE(BigInt(dataSize), 40);
  footer.writeBigUInt64BE(BigInt(dataSize), 48);
  const { cylinders, heads, sectors } = chs(dataSize / 512);
  footer.writeUInt16BE(cylinders, 56);
  footer.writeUInt8(heads, 58);
  footer.writeUInt8(sectors, 59);
  footer.writeUInt32BE(diskType, 60);
  Buffer.from(randomUUID().replace(/-/g, ''), 'hex').copy(footer, 68);
  let sum = 0;
  for (const byte of footer) sum += byte;
  footer.writeUInt32BE(~sum >>> 0, 64);
  return footer;
}

/** The CHS algorithm of the VHD specification (appendix: CHS calculation). */
function chs(totalSectors: number): { cylinders: number; heads: number; sectors: number } {
  let total = Math.min(totalSectors, 65535 * 16 * 255);
  let sectors: number;
  let heads: number;
  let cylTimesHeads: number;
  if (total >= 65535 * 16 * 63) {
    sectors = 255;
    heads = 16;
    cylTimesHeads = Math.floor(total / sectors);
  } else {
    sectors = 17;
    cylTimesHeads = Math.floor(total / sectors);
    heads = Math.max(4, Math.floor((cylTimesHeads + 1023) / 1024));
    if (cylTimesHeads >= heads * 1024 || heads > 16) {
      sectors = 31;
      heads = 16;
      cylTimesHeads = Math.floor(total / sectors);
    }
    if (cylTimesHeads >= heads * 1024) {
      sectors = 63;
      heads = 16;
      cylTimesHeads = Math.floor(total / sectors);
    }
  }
  total = cylTimesHeads;
  return { cylinders: Math.floor(total / heads), heads, sectors };
}

/** Appends a fixed-VHD footer to `data` (a raw filesystem image) at `path`. */
export function writeFixedVhd(path: string, dataSize: number, data?: Buffer): void {
  const fd = fs.openSync(path, 'w');
  try {
    if (data) fs.writeSync(fd, data, 0, data.length, 0);
    fs.writeSync(fd, vhdFooter(dataSize), 0, 512, dataSize);
  } finally {
    fs.closeSync(fd);
  }
}

/** Turns an existing raw image into a fixed VHD in place. */
export function appendVhdFooter(path: string): void {
  const size = fs.statSync(path).size;
  fs.appendFileSync(path, vhdFooter(size));
}

export function writeDynamicVhdHeader(path: string, virtualSize: number): void {
  const footer = vhdFooter(virtualSize, 3);
  fs.writeFileSync(path, Buffer.concat([footer, Buffer.alloc(1024), footer]));
}

export function writeVhdxSignature(path: string): void {
  const head = Buffer.alloc(64 * 1024);
  head.write('vhdxfile', 0, 'latin1');
  fs.writeFileSync(path, head);
}
