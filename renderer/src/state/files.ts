/**
 * The Files tab's pure parts: paths inside a container's rootfs (relative, `/`-separated, `''`
 * is the root), the breadcrumb, the layer label of an entry's origin and the listing order.
 */
import type { FileEntryView } from '../../../main/engine/views.js';

export const SCRATCH_ORIGIN = 'scratch';

export function splitPath(path: string): string[] {
  return path.split('/').filter((part) => part !== '' && part !== '.');
}

export function joinPath(dir: string, name: string): string {
  return [...splitPath(dir), name].join('/');
}

/** The parent directory, or null at the root. */
export function parentPath(path: string): string | null {
  const parts = splitPath(path);
  return parts.length === 0 ? null : parts.slice(0, -1).join('/');
}

export interface Crumb {
  label: string;
  path: string;
}

/** The root (labelled `rootfs`) and each directory down to `path`. */
export function crumbs(path: string): Crumb[] {
  const parts = splitPath(path);
  return [
    { label: 'rootfs', path: '' },
    ...parts.map((label, i) => ({ label, path: parts.slice(0, i + 1).join('/') })),
  ];
}

/** The path as shown: `/` for the root, `/etc/ssl` below it. */
export function displayPath(path: string): string {
  return `/${splitPath(path).join('/')}`;
}

/** The layer folder's last component (`scratch` stays `scratch`); Windows separators too. */
export function originLabel(origin: string): string {
  if (origin === SCRATCH_ORIGIN) return origin;
  const parts = origin.split(/[\\/]+/).filter((p) => p !== '');
  return parts.at(-1) ?? origin;
}

/** What the origin's tooltip says: the full folder, or what `scratch` means. */
export function originTitle(origin: string): string {
  return origin === SCRATCH_ORIGIN ? "the container's own writes (its scratch)" : origin;
}

/** A stable row key: a name may be both deleted below and recreated above only as one entry,
 * but the key still tells a whiteout from an entry. */
export function entryKey(entry: Pick<FileEntryView, 'name' | 'whiteout'>): string {
  return `${entry.whiteout ? 'w' : 'e'}:${entry.name}`;
}

/** Directories first, then by name (code point order, as `ls` in the C locale). */
export function sortEntries(entries: readonly FileEntryView[]): FileEntryView[] {
  const rank = (e: FileEntryView): number => (e.type === 'dir' && !e.whiteout ? 0 : 1);
  return [...entries].sort(
    (a, b) => rank(a) - rank(b) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );
}

/** Can the user enter it: a directory that is not deleted. */
export const isEnterable = (entry: FileEntryView): boolean =>
  entry.type === 'dir' && !entry.whiteout;
