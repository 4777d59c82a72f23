/**
 * Lists one directory of a mounted container through `files` (the guest agent on the qemu
 * backend). Listings are fetched on demand, not kept in the replica: while a new directory
 * loads, the last listing stays on screen (so the file grid keeps its focus), and an answer for
 * a directory the user already left is dropped.
 */
import { useCallback, useEffect, useState } from 'react';
import type { ErrorJson } from '../../../main/engine/errors.js';
import type { FileEntryView } from '../../../main/engine/views.js';
import { useServices } from '../app-context.js';
import { sortEntries } from '../state/files.js';

export interface Listing {
  guestRoot: string;
  path: string;
  entries: FileEntryView[];
}

export interface DirectoryState {
  /** The last directory listed, possibly not the one asked for yet. */
  listing: Listing | null;
  /** The asked-for directory has not answered yet. */
  loading: boolean;
  /** Why the asked-for directory could not be listed. */
  error: ErrorJson | null;
  reload: () => void;
}

type Answer = { key: string } & ({ ok: true; listing: Listing } | { ok: false; error: ErrorJson });

/**
 * @param version anything that changes when the listing may have changed (the container's
 *   replica object: a partial unmount, a remount); a new value lists again.
 */
export function useDirectory(
  uvm: string,
  guestRoot: string | undefined,
  path: string,
  version: unknown,
): DirectoryState {
  const { api } = useServices();
  const [nonce, setNonce] = useState(0);
  const [answer, setAnswer] = useState<Answer | null>(null);
  const [lastGood, setLastGood] = useState<Listing | null>(null);
  const key = guestRoot === undefined ? '' : JSON.stringify([uvm, guestRoot, path]);

  useEffect(() => {
    if (guestRoot === undefined) return;
    let live = true;
    void api.files({ uvm, guestRoot, path }).then((result) => {
      if (!live) return;
      if (result.ok) {
        const listing = { guestRoot, path, entries: sortEntries(result.value) };
        setAnswer({ key, ok: true, listing });
        setLastGood(listing);
      } else {
        setAnswer({ key, ok: false, error: result.error });
      }
    });
    return () => {
      live = false;
    };
  }, [api, uvm, guestRoot, path, key, version, nonce]);

  const reload = useCallback(() => setNonce((n) => n + 1), []);
  const current = answer?.key === key ? answer : null;
  const sameContainer = lastGood !== null && lastGood.guestRoot === guestRoot;
  return {
    listing: current?.ok ? current.listing : sameContainer ? lastGood : null,
    loading: guestRoot !== undefined && current === null,
    error: current && !current.ok ? current.error : null,
    reload,
  };
}
