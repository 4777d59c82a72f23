/**
 * Reads the lines of a file from its end, a chunk at a time, so "the last N entries" and "the last
 * seq" cost a few KB of I/O however long the request log has grown.
 */
import fs from 'node:fs';

const CHUNK_BYTES = 64 * 1024;
const NEWLINE = 0x0a;

/**
 * Visits the non-empty lines of the first `size` bytes of `fd`, last line first, until `visit`
 * returns true. Lines are split on the newline byte, which never occurs inside a multi-byte UTF-8
 * character, so each line decodes on its own. `chunkBytes` is there for tests of chunk edges.
 */
export function visitLinesBackward(
  fd: number,
  size: number,
  visit: (line: string) => boolean,
  chunkBytes = CHUNK_BYTES,
): void {
  let position = size;
  let carry = Buffer.alloc(0); // the start of a line whose beginning is in an earlier chunk
  while (position > 0) {
    const length = Math.min(chunkBytes, position);
    position -= length;
    const chunk = Buffer.alloc(length);
    let read = 0;
    while (read < length) {
      const n = fs.readSync(fd, chunk, read, length - read, position + read);
      if (n === 0) break;
      read += n;
    }
    const buffer = carry.length === 0 ? chunk : Buffer.concat([chunk, carry]);
    let end = buffer.length;
    for (let index = end > 0 ? buffer.lastIndexOf(NEWLINE, end - 1) : -1; index >= 0;) {
      if (emit(buffer.subarray(index + 1, end), visit)) return;
      end = index;
      index = end > 0 ? buffer.lastIndexOf(NEWLINE, end - 1) : -1;
    }
    carry = buffer.subarray(0, end);
  }
  emit(carry, visit);
}

function emit(bytes: Buffer, visit: (line: string) => boolean): boolean {
  return bytes.length > 0 && visit(bytes.toString('utf8'));
}
