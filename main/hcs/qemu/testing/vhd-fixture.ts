/**
 * Disk image files for tests: a fixed VHD (data + the footer `layer create` writes), a
 * dynamic-VHD header, a VHDX signature. Enough for format detection and the fake QEMU; real
 * QEMU opens them too.
 */
import * as fs from 'node:fs';
import { createVhdFooter, vhdChecksum } from '../../../tools/vhd-footer.js';

/** The footer `layer create` writes; a dynamic one (type 3) points at its header at 512. */
export function vhdFooter(dataSize: number, diskType = 2): Buffer {
  const footer = createVhdFooter({ sizeBytes: dataSize });
  if (diskType !== 2) {
    footer.writeBigUInt64BE(512n, 16);
    footer.writeUInt32BE(diskType, 60);
    footer.writeUInt32BE(vhdChecksum(footer), 64);
  }
  return footer;
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
