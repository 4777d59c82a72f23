/**
 * The agent's framing (docs/guest-agent-protocol.md): a 4-byte big-endian length, then that
 * many bytes of UTF-8 JSON holding one object. Shared by the client and the test fake agent.
 */

export const MAX_FRAME_BYTES = 1024 * 1024;

export function encodeFrame(message: unknown): Buffer {
  const body = Buffer.from(JSON.stringify(message), 'utf8');
  if (body.length > MAX_FRAME_BYTES) {
    throw new RangeError(`agent message of ${body.length} bytes exceeds ${MAX_FRAME_BYTES}`);
  }
  const header = Buffer.alloc(4);
  header.writeUInt32BE(body.length, 0);
  return Buffer.concat([header, body]);
}

/** Splits a byte stream into frames; a frame that is not a JSON object is reported, not thrown. */
export class FrameDecoder {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): { messages: Record<string, unknown>[]; errors: string[] } {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const messages: Record<string, unknown>[] = [];
    const errors: string[] = [];
    while (this.pending.length >= 4) {
      const length = this.pending.readUInt32BE(0);
      if (length > MAX_FRAME_BYTES) {
        // Nothing sane can follow a corrupt header: drop what is buffered and resynchronise
        // on the next chunk (the agent answers a bad frame with an error for id 0 anyway).
        errors.push(`frame length ${length} exceeds ${MAX_FRAME_BYTES}`);
        this.pending = Buffer.alloc(0);
        break;
      }
      if (this.pending.length < 4 + length) break;
      const body = this.pending.subarray(4, 4 + length).toString('utf8');
      this.pending = this.pending.subarray(4 + length);
      try {
        const parsed: unknown = JSON.parse(body);
        if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
          messages.push(parsed as Record<string, unknown>);
        } else {
          errors.push(`frame is not a JSON object: ${body.slice(0, 200)}`);
        }
      } catch {
        errors.push(`frame is not JSON: ${body.slice(0, 200)}`);
      }
    }
    return { messages, errors };
  }
}
