/** RFC 4122 version-5 (name-based, SHA-1) UUIDs, the sim's stand-in for `NameToGuid`. */
import { createHash } from 'node:crypto';

/** The RFC 4122 URL namespace, used for the sim's layer ids and volume GUIDs. */
export const URL_NAMESPACE = '6ba7b811-9dad-11d1-80b4-00c04fd430c8';

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True for the canonical 8-4-4-4-12 hex form (any case, no braces). */
export function isUuid(text: string): boolean {
  return UUID_PATTERN.test(text);
}

/** The version-5 UUID of `name` (UTF-8) in `namespace`, lower-case canonical form. */
export function uuidV5(name: string, namespace: string): string {
  if (!isUuid(namespace)) throw new TypeError(`not a UUID namespace: ${namespace}`);
  const namespaceBytes = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  const digest = createHash('sha1').update(namespaceBytes).update(name, 'utf8').digest();
  const bytes = digest.subarray(0, 16);
  // Version 5 in the high nibble of byte 6, the RFC 4122 variant (10xx) in byte 8.
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x50;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
