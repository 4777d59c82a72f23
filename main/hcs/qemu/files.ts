/**
 * A dive-style view of a mounted container's root filesystem: each entry of a merged overlay
 * directory with the layer that provides it (the scratch's upper directory first, then the
 * read-only layers top-most first, as overlayfs looks them up), plus the whiteouts (char 0:0)
 * that hide lower entries. Everything is read through the guest agent.
 */
import { posix } from 'node:path';
import { UvmLayersError } from '../../engine/errors.js';
import type { AgentEntry, AgentEntryType } from './agent-client.js';
import { isAgentErrno } from './agent-errors.js';
import type { QemuBackend } from './qemu-backend.js';

export interface FileView {
  name: string;
  type: AgentEntryType;
  size: number;
  /** The layer folder that provides the entry, or 'scratch' for the container's own writes. */
  origin: string;
  /** A whiteout: the entry is deleted from the layers below `origin`. */
  whiteout: boolean;
  /** An opaque directory hides everything below it; the agent does not report xattrs, so this is
   * left unset rather than guessed. */
  opaque?: boolean;
}

export interface ContainerFiles {
  rootfs: string;
  /** Base first, as the engine's ledger lists them. */
  layers: { folder: string; uvmPath: string }[];
  scratch: { uvmPath: string };
}

interface Source {
  origin: string;
  dir: string;
}

export async function listContainerFiles(
  backend: QemuBackend,
  uvmId: string,
  container: ContainerFiles,
  subpath: string,
): Promise<FileView[]> {
  const relative = cleanSubpath(subpath);
  const join = (base: string): string => (relative === '' ? base : posix.join(base, relative));
  const merged = await backend.listDirectory(uvmId, join(container.rootfs));
  const sources: Source[] = [
    { origin: 'scratch', dir: join(posix.join(container.scratch.uvmPath, 'upper')) },
    ...[...container.layers]
      .reverse()
      .map((layer) => ({ origin: layer.folder, dir: join(layer.uvmPath) })),
  ];
  const listings: { source: Source; entries: AgentEntry[] }[] = [];
  for (const source of sources) {
    listings.push({ source, entries: await listOrEmpty(backend, uvmId, source.dir) });
  }
  const visible = new Set(merged.map((e) => e.name));
  const views: FileView[] = merged.map((entry) => {
    const provider = listings.find(({ entries }) =>
      entries.some((e) => e.name === entry.name && !isWhiteout(e)),
    );
    return {
      name: entry.name,
      type: entry.type,
      size: entry.size,
      origin: provider?.source.origin ?? 'unknown',
      whiteout: false,
    };
  });
  // A whiteout shows only where it still hides something: not under a visible entry, and only
  // the top-most one when several layers delete the same name.
  const hidden = new Set<string>();
  for (const { source, entries } of listings) {
    for (const entry of entries) {
      if (!isWhiteout(entry) || visible.has(entry.name) || hidden.has(entry.name)) continue;
      hidden.add(entry.name);
      views.push({
        name: entry.name,
        type: 'char',
        size: 0,
        origin: source.origin,
        whiteout: true,
      });
    }
  }
  return views.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export function isWhiteout(entry: AgentEntry): boolean {
  return entry.type === 'char' && entry.rdev?.[0] === 0 && entry.rdev[1] === 0;
}

function cleanSubpath(subpath: string): string {
  const parts = subpath.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) {
    throw new UvmLayersError(
      'INVALID_ARGUMENT',
      `the subpath must stay inside the rootfs, got "${subpath}"`,
    );
  }
  return parts.join('/');
}

/** A layer that lacks the directory (or has a file there) simply contributes nothing. */
async function listOrEmpty(
  backend: QemuBackend,
  uvmId: string,
  dir: string,
): Promise<AgentEntry[]> {
  try {
    return await backend.listDirectory(uvmId, dir);
  } catch (error) {
    if (isAgentErrno(error, 'ENOENT', 'ENOTDIR')) return [];
    throw error;
  }
}
