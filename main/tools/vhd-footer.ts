/**
 * The 512-byte footer that turns a raw disk image into a fixed VHD (Microsoft's VHD format
 * specification). Field values follow QEMU-NOTES §3: creator `win ` makes QEMU's vpc driver use the
 * footer's current size instead of the CHS geometry, so the disk keeps its exact size.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs/promises';

import { UvmLayersError } from '../engine/errors.js';

export const VHD_FOOTER_SIZE = 512;
const COOKIE = 'conectix';
const FEATURES_RESERVED = 2;
const FORMAT_VERSION = 0x0001_0000;
const FIXED_DATA_OFFSET = 0xffff_ffff_ffff_ffffn;
const CREATOR_APP = 'win ';
const CREATOR_VERSION = 0x000a_0000;
const CREATOR_OS = 'Wi2k';
export const VHD_TYPE_FIXED = 2;
/** VHD timestamps count seconds from 2000-01-01T00:00:00Z. */
const VHD_EPOCH_MS = Date.UTC(2000, 0, 1);
/** The spec's geometry cannot describe more than 65535 × 16 × 255 sectors (~127 GiB). */
const MAX_CHS_SECTORS = 65535 * 16 * 255;

export interface ChsGeometry {
  cylinders: number;
  heads: number;
  sectorsPerTrack: number;
}

export interface VhdFooter {
  cookie: string;
  features: number;
  version: number;
  dataOffset: bigint;
  /** Seconds since 2000-01-01 UTC. */
  timestamp: number;
  creatorApp: string;
  creatorVersion: number;
  creatorOs: string;
  originalSize: number;
  currentSize: number;
  geometry: ChsGeometry;
  diskType: number;
  checksum: number;
  /** The checksum recomputed over the footer; equal to `checksum` for an intact footer. */
  computedChecksum: number;
  checksumValid: boolean;
  uuid: string;
  savedState: number;
}

/** CHS geometry for a disk of `sizeBytes`, by the algorithm in the VHD specification's appendix. */
export function chsGeometry(sizeBytes: number): ChsGeometry {
  let totalSectors = Math.floor(sizeBytes / 512);
  if (totalSectors > MAX_CHS_SECTORS) totalSectors = MAX_CHS_SECTORS;
  let sectorsPerTrack: number;
  let heads: number;
  let cylinderTimesHeads: number;
  if (totalSectors >= 65535 * 16 * 63) {
    sectorsPerTrack = 255;
    heads = 16;
    cylinderTimesHeads = Math.floor(totalSectors / sectorsPerTrack);
  } else {
    sectorsPerTrack = 17;
    cylinderTimesHeads = Math.floor(totalSectors / sectorsPerTrack);
    heads = Math.floor((cylinderTimesHeads + 1023) / 1024);
    if (heads < 4) heads = 4;
    if (cylinderTimesHeads >= heads * 1024 || heads > 16) {
      sectorsPerTrack = 31;
      heads = 16;
      cylinderTimesHeads = Math.floor(totalSectors / sectorsPerTrack);
    }
    if (cylinderTimesHeads >= heads * 1024) {
      sectorsPerTrack = 63;
      heads = 16;
      cylinderTimesHeads = Math.floor(totalSectors / sectorsPerTrack);
    }
  }
  return { cylinders: Math.floor(cylinderTimesHeads / heads), heads, sectorsPerTrack };
}

/** Ones' complement of the byte sum, taken with the checksum field (bytes 64..67) as zero. */
export function vhdChecksum(footer: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < VHD_FOOTER_SIZE; i++) {
    if (i >= 64 && i < 68) continue;
    sum = (sum + (footer[i] ?? 0)) >>> 0;
  }
  return ~sum >>> 0;
}

export interface FooterOptions {
  /** Size of the raw data before the footer, in bytes; a multiple of 512. */
  sizeBytes: number;
  /** Defaults to now. */
  date?: Date;
  /** Defaults to a random UUID. */
  uuid?: string;
}

/** Builds a fixed-VHD footer for `sizeBytes` of raw data. */
export function createVhdFooter(options: FooterOptions): Buffer {
  const { sizeBytes } = options;
  if (!Number.isSafeInteger(sizeBytes) || sizeBytes <= 0 || sizeBytes % 512 !== 0) {
    throw new UvmLayersError(
      'INVALID_ARGUMENT',
      `VHD data size ${sizeBytes} is not a positive multiple of 512 bytes`,
    );
  }
  const footer = Buffer.alloc(VHD_FOOTER_SIZE);
  footer.write(COOKIE, 0, 'latin1');
  footer.writeUInt32BE(FEATURES_RESERVED, 8);
  footer.writeUInt32BE(FORMAT_VERSION, 12);
  footer.writeBigUInt64BE(FIXED_DATA_OFFSET, 16);
  const ms = (options.date ?? new Date()).getTime();
  footer.writeUInt32BE(Math.max(0, Math.floor((ms - VHD_EPOCH_MS) / 1000)) >>> 0, 24);
  footer.write(CREATOR_APP, 28, 'latin1');
  footer.writeUInt32BE(CREATOR_VERSION, 32);
  footer.write(CREATOR_OS, 36, 'latin1');
  footer.writeBigUInt64BE(BigInt(sizeBytes), 40);
  footer.writeBigUInt64BE(BigInt(sizeBytes), 48);
  const chs = chsGeometry(sizeBytes);
  footer.writeUInt16BE(chs.cylinders, 56);
  footer.writeUInt8(chs.heads, 58);
  footer.writeUInt8(chs.sectorsPerTrack, 59);
  footer.writeUInt32BE(VHD_TYPE_FIXED, 60);
  uuidBytes(options.uuid ?? randomUUID()).copy(footer, 68);
  footer.writeUInt8(0, 84);
  footer.writeUInt32BE(vhdChecksum(footer), 64);
  return footer;
}

/**
 * Reads the footer at the end of `buf` (a 512-byte footer, or a whole image). Throws
 * INVALID_ARGUMENT when the cookie is not `conectix`; a bad checksum is reported, not thrown.
 */
export function parseVhdFooter(buf: Uint8Array): VhdFooter {
  if (buf.length < VHD_FOOTER_SIZE) {
    throw new UvmLayersError(
      'INVALID_ARGUMENT',
      `a VHD footer is ${VHD_FOOTER_SIZE} bytes; got ${buf.length}`,
    );
  }
  const f = Buffer.from(buf.buffer, buf.byteOffset + buf.length - VHD_FOOTER_SIZE, VHD_FOOTER_SIZE);
  const cookie = f.toString('latin1', 0, 8);
  if (cookie !== COOKIE) {
    throw new UvmLayersError(
      'INVALID_ARGUMENT',
      `not a VHD: footer cookie is ${JSON.stringify(cookie)}, expected "conectix"`,
    );
  }
  const checksum = f.readUInt32BE(64);
  const computedChecksum = vhdChecksum(f);
  return {
    cookie,
    features: f.readUInt32BE(8),
    version: f.readUInt32BE(12),
    dataOffset: f.readBigUInt64BE(16),
    timestamp: f.readUInt32BE(24),
    creatorApp: f.toString('latin1', 28, 32),
    creatorVersion: f.readUInt32BE(32),
    creatorOs: f.toString('latin1', 36, 40),
    originalSize: Number(f.readBigUInt64BE(40)),
    currentSize: Number(f.readBigUInt64BE(48)),
    geometry: {
      cylinders: f.readUInt16BE(56),
      heads: f.readUInt8(58),
      sectorsPerTrack: f.readUInt8(59),
    },
    diskType: f.readUInt32BE(60),
    checksum,
    computedChecksum,
    checksumValid: checksum === computedChecksum,
    uuid: formatUuid(f.subarray(68, 84)),
    savedState: f.readUInt8(84),
  };
}

export interface FixedVhdInfo {
  footer: VhdFooter;
  fileSize: number;
  /** Bytes of disk data before the footer (what vPMEM maps and what the guest sees). */
  dataSize: number;
}

/**
 * Reads and checks the footer of a fixed VHD file: a fixed type, an intact checksum, and a current
 * size equal to the data in front of the footer.
 */
export async function readFixedVhd(file: string): Promise<FixedVhdInfo> {
  const handle = await fs.open(file, 'r');
  try {
    const { size: fileSize } = await handle.stat();
    if (fileSize < VHD_FOOTER_SIZE * 2) {
      throw new UvmLayersError(
        'INVALID_ARGUMENT',
        `${file} is ${fileSize} bytes: too small to be a fixed VHD`,
      );
    }
    const buf = Buffer.alloc(VHD_FOOTER_SIZE);
    await handle.read(buf, 0, VHD_FOOTER_SIZE, fileSize - VHD_FOOTER_SIZE);
    let footer: VhdFooter;
    try {
      footer = parseVhdFooter(buf);
    } catch (error) {
      throw new UvmLayersError('INVALID_ARGUMENT', `${file}: ${(error as Error).message}`);
    }
    const dataSize = fileSize - VHD_FOOTER_SIZE;
    if (!footer.checksumValid) {
      throw new UvmLayersError(
        'INVALID_ARGUMENT',
        `${file}: VHD footer checksum ${hex(footer.checksum)} does not match ${hex(footer.computedChecksum)}`,
      );
    }
    if (footer.diskType !== VHD_TYPE_FIXED) {
      throw new UvmLayersError(
        'INVALID_ARGUMENT',
        `${file}: VHD disk type ${footer.diskType} is not fixed (2); only fixed VHDs can be layers`,
      );
    }
    if (footer.currentSize !== dataSize) {
      throw new UvmLayersError(
        'INVALID_ARGUMENT',
        `${file}: VHD footer says ${footer.currentSize} bytes but ${dataSize} bytes precede it`,
      );
    }
    return { footer, fileSize, dataSize };
  } finally {
    await handle.close();
  }
}

function uuidBytes(uuid: string): Buffer {
  const hexDigits = uuid.replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hexDigits))
    throw new UvmLayersError('INVALID_ARGUMENT', `not a UUID: ${uuid}`);
  return Buffer.from(hexDigits, 'hex');
}

function formatUuid(bytes: Uint8Array): string {
  const h = Buffer.from(bytes).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}
