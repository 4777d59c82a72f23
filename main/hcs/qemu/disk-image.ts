/**
 * What kind of virtual disk a host file is, read from its bytes rather than its name: QEMU
 * probes only offset 0, where a fixed VHD has plain data, so the format must be named
 * explicitly (QEMU-NOTES §3). A fixed VHD is raw data plus a 512-byte footer; a dynamic VHD
 * starts with a copy of that footer; a VHDX starts with the `vhdxfile` signature.
 */
import * as fs from 'node:fs';
import { parseVhdFooter, VHD_FOOTER_SIZE } from '../../tools/vhd-footer.js';

export const VHD_FOOTER_BYTES = VHD_FOOTER_SIZE;

export type DiskImage =
  | { kind: 'fixed-vhd'; fileSize: number; dataSize: number }
  | { kind: 'dynamic-vhd'; fileSize: number; virtualSize: number }
  | { kind: 'vhdx'; fileSize: number }
  | { kind: 'unsupported'; fileSize: number; reason: string };

const VHD_COOKIE = 'conectix';
const VHDX_SIGNATURE = 'vhdxfile';
const DISK_TYPE = { fixed: 2, dynamic: 3, differencing: 4 } as const;

/** Reads the headers of `path`; I/O errors propagate (the caller has checked the file exists). */
export function inspectDiskImage(path: string): DiskImage {
  const fd = fs.openSync(path, 'r');
  try {
    const fileSize = fs.fstatSync(fd).size;
    const head = readAt(fd, 0, Math.min(VHD_FOOTER_BYTES, fileSize));
    if (head.subarray(0, 8).toString('latin1') === VHDX_SIGNATURE)
      return { kind: 'vhdx', fileSize };
    if (head.length === VHD_FOOTER_BYTES && head.subarray(0, 8).toString('latin1') === VHD_COOKIE) {
      const footer = parseFooter(head);
      if (typeof footer === 'string') return { kind: 'unsupported', fileSize, reason: footer };
      if (footer.diskType === DISK_TYPE.dynamic) {
        return { kind: 'dynamic-vhd', fileSize, virtualSize: footer.currentSize };
      }
      if (footer.diskType === DISK_TYPE.differencing) {
        return {
          kind: 'unsupported',
          fileSize,
          reason: 'it is a differencing VHD (it needs its parent disk)',
        };
      }
    }
    if (fileSize <= VHD_FOOTER_BYTES) {
      return { kind: 'unsupported', fileSize, reason: `it is only ${fileSize} bytes long` };
    }
    const tail = readAt(fd, fileSize - VHD_FOOTER_BYTES, VHD_FOOTER_BYTES);
    if (tail.subarray(0, 8).toString('latin1') !== VHD_COOKIE) {
      return {
        kind: 'unsupported',
        fileSize,
        reason: 'it is neither a VHD (no "conectix" footer) nor a VHDX (no "vhdxfile" signature)',
      };
    }
    const footer = parseFooter(tail);
    if (typeof footer === 'string') return { kind: 'unsupported', fileSize, reason: footer };
    if (footer.diskType !== DISK_TYPE.fixed) {
      return {
        kind: 'unsupported',
        fileSize,
        reason: `its footer names disk type ${footer.diskType}, but only the first 512 bytes of a dynamic VHD may hold one`,
      };
    }
    const dataSize = fileSize - VHD_FOOTER_BYTES;
    if (footer.currentSize !== dataSize) {
      return {
        kind: 'unsupported',
        fileSize,
        reason: `its fixed-VHD footer says ${footer.currentSize} bytes of data but the file holds ${dataSize}`,
      };
    }
    return { kind: 'fixed-vhd', fileSize, dataSize };
  } finally {
    fs.closeSync(fd);
  }
}

function parseFooter(footer: Buffer): { diskType: number; currentSize: number } | string {
  const parsed = parseVhdFooter(footer);
  if (!parsed.checksumValid) {
    return `its VHD footer checksum is 0x${parsed.checksum.toString(16)}, expected 0x${parsed.computedChecksum.toString(16)} (corrupt footer)`;
  }
  return { diskType: parsed.diskType, currentSize: parsed.currentSize };
}

function readAt(fd: number, position: number, length: number): Buffer {
  const buffer = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const n = fs.readSync(fd, buffer, done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return buffer.subarray(0, done);
}
