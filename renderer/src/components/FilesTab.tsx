/**
 * The Files tab (qemu backend only): pick a mounted container, walk its merged rootfs through
 * the guest agent, and see which layer every entry comes from. The position (container,
 * directory, active entry) is kept per UVM in the UI store, so switching tabs keeps it.
 */
import { useCallback } from 'react';
import { useReplica, useServices, useUi } from '../app-context.js';
import { crumbs, joinPath, parentPath, splitPath } from '../state/files.js';
import { setFilesAt } from '../state/ui.js';
import { ErrorText } from './ErrorText.js';
import { FileList } from './FileList.js';
import { useDirectory } from './use-directory.js';

const NO_KEYS: readonly string[] = [];

function Breadcrumbs({
  guestRoot,
  path,
  onOpen,
}: {
  guestRoot: string;
  path: string;
  onOpen: (path: string, active?: string) => void;
}) {
  const trail = crumbs(path);
  return (
    <nav className="crumbs" aria-label={`Path in ${guestRoot}`}>
      <ol>
        {trail.map((crumb, i) => {
          const next = trail[i + 1];
          return (
            <li key={crumb.path}>
              {next === undefined ? (
                <span aria-current="location">{crumb.label}</span>
              ) : (
                <button
                  type="button"
                  className="link"
                  onClick={() => onOpen(crumb.path, next.label)}
                >
                  {crumb.label}
                </button>
              )}
            </li>
          );
        })}
      </ol>
    </nav>
  );
}

function ContainerPicker({
  uvm,
  keys,
  value,
}: {
  uvm: string;
  keys: readonly string[];
  value: string;
}) {
  const { ui } = useServices();
  return (
    <label className="field-inline">
      Container{' '}
      <select
        value={value}
        onChange={(e) => setFilesAt(ui, uvm, { guestRoot: e.target.value, path: '' })}
      >
        {keys.map((k) => (
          <option key={k} value={k}>
            {k}
          </option>
        ))}
      </select>
    </label>
  );
}

export function FilesTab({ uvm }: { uvm: string }) {
  const { ui } = useServices();
  const keys = useReplica((s) => s.containers[uvm]?.keys) ?? NO_KEYS;
  const position = useUi((s) => s.filesAt[uvm]);
  const guestRoot =
    position !== undefined && keys.includes(position.guestRoot) ? position.guestRoot : keys[0];
  const here = position !== undefined && position.guestRoot === guestRoot ? position : undefined;
  const path = here?.path ?? '';
  const active = here?.active;
  const container = useReplica((s) =>
    guestRoot === undefined ? undefined : s.containers[uvm]?.byKey[guestRoot],
  );
  const dir = useDirectory(uvm, guestRoot, path, container);

  const root = guestRoot ?? '';
  const listed = dir.listing?.path ?? path;
  const go = useCallback(
    (to: string, activeName?: string) =>
      setFilesAt(ui, uvm, {
        guestRoot: root,
        path: to,
        ...(activeName === undefined ? {} : { active: activeName }),
      }),
    [ui, uvm, root],
  );
  const onEnter = useCallback((name: string) => go(joinPath(listed, name)), [go, listed]);
  const onActivate = useCallback((name: string) => go(listed, name), [go, listed]);
  const onUp = useCallback(() => {
    const parent = parentPath(listed);
    if (parent !== null) go(parent, splitPath(listed).at(-1));
  }, [go, listed]);

  if (guestRoot === undefined) {
    return (
      <p className="empty">
        No containers mounted. Mount layers to browse a container’s files and see which layer each
        comes from.
      </p>
    );
  }
  return (
    <div className="files">
      <div className="files-bar">
        <ContainerPicker uvm={uvm} keys={keys} value={guestRoot} />
        <Breadcrumbs guestRoot={guestRoot} path={path} onOpen={go} />
        <span className="spacer" />
        {dir.loading ? <span className="muted">Loading…</span> : null}
        <button type="button" onClick={dir.reload}>
          Refresh
        </button>
      </div>
      {dir.error ? <ErrorText error={dir.error} live={false} /> : null}
      {dir.listing && !dir.error ? (
        <FileList
          path={dir.listing.path}
          entries={dir.listing.entries}
          active={dir.listing.path === path ? active : undefined}
          busy={dir.loading}
          onActivate={onActivate}
          onEnter={onEnter}
          onUp={onUp}
        />
      ) : null}
    </div>
  );
}
