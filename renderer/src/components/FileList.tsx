/**
 * One directory of a container's rootfs as a grid: name, type, size and the layer each entry
 * comes from; whiteouts struck through as "deleted by <layer>". The grid holds the focus and
 * moves an active row (aria-activedescendant): ↑/↓/Home/End/PageUp/PageDown move, Enter or →
 * opens a directory, Backspace or ← goes up. A click opens a directory, or activates a file.
 */
import { memo, useCallback, useId, type KeyboardEvent } from 'react';
import type { FileEntryView } from '../../../main/engine/views.js';
import { formatBytes } from '../state/devices.js';
import {
  displayPath,
  entryKey,
  isEnterable,
  originLabel,
  originTitle,
  SCRATCH_ORIGIN,
} from '../state/files.js';
import { VirtualRows } from './VirtualRows.js';

const TYPE_LABEL: Record<FileEntryView['type'], string> = {
  file: 'file',
  dir: 'directory',
  symlink: 'symlink',
  char: 'char device',
  block: 'block device',
  fifo: 'fifo',
  socket: 'socket',
};

const PAGE = 10;

const FileRow = memo(function FileRow({
  entry,
  id,
  active,
  onClick,
}: {
  entry: FileEntryView;
  id: string;
  active: boolean;
  onClick: (entry: FileEntryView) => void;
}) {
  const layer = originLabel(entry.origin);
  const dir = isEnterable(entry);
  return (
    <div
      id={id}
      role="row"
      aria-selected={active}
      className={`trow file-row${active ? ' selected' : ''}${entry.whiteout ? ' whiteout' : ''}${dir ? ' dir' : ''}`}
      onClick={() => onClick(entry)}
    >
      <span role="gridcell" className="c-path f-name" title={entry.name}>
        {entry.whiteout ? (
          <>
            <s>{entry.name}</s>
            <span className="visually-hidden"> (deleted)</span>
          </>
        ) : (
          <>
            {entry.name}
            {dir ? '/' : ''}
          </>
        )}
      </span>
      <span role="gridcell" className="c-type">
        {entry.whiteout ? 'whiteout' : TYPE_LABEL[entry.type]}
      </span>
      <span
        role="gridcell"
        className="c-size"
        title={entry.whiteout || entry.type === 'dir' ? undefined : `${entry.size} bytes`}
      >
        {entry.whiteout || entry.type === 'dir' ? '—' : formatBytes(entry.size)}
      </span>
      <span
        role="gridcell"
        className={`c-origin${entry.origin === SCRATCH_ORIGIN ? ' scratch' : ''}`}
        title={originTitle(entry.origin)}
      >
        {entry.whiteout ? `deleted by ${layer}` : layer}
      </span>
    </div>
  );
});

export interface FileListProps {
  path: string;
  entries: readonly FileEntryView[];
  /** The active entry's name; the first entry when absent or gone. */
  active: string | undefined;
  busy: boolean;
  onActivate: (name: string) => void;
  onEnter: (name: string) => void;
  onUp: () => void;
}

export function FileList({
  path,
  entries,
  active,
  busy,
  onActivate,
  onEnter,
  onUp,
}: FileListProps) {
  const prefix = useId();
  const rowId = (index: number): string => `${prefix}-file-${index}`;
  const found = active === undefined ? -1 : entries.findIndex((e) => e.name === active);
  const activeIndex = entries.length === 0 ? -1 : Math.max(0, found);
  const keys = entries.map(entryKey);

  const onClick = useCallback(
    (entry: FileEntryView): void =>
      isEnterable(entry) ? onEnter(entry.name) : onActivate(entry.name),
    [onEnter, onActivate],
  );

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>): void => {
    const current = entries[activeIndex];
    const last = entries.length - 1;
    const move: Record<string, number> = {
      ArrowDown: activeIndex + 1,
      ArrowUp: activeIndex - 1,
      PageDown: activeIndex + PAGE,
      PageUp: activeIndex - PAGE,
      Home: 0,
      End: last,
    };
    if (event.altKey && event.key === 'ArrowUp') {
      event.preventDefault();
      onUp();
    } else if (event.key in move && !event.altKey) {
      event.preventDefault();
      const next = entries[Math.min(last, Math.max(0, move[event.key] ?? 0))];
      if (next) onActivate(next.name);
    } else if ((event.key === 'Enter' || event.key === 'ArrowRight') && current) {
      if (!isEnterable(current)) return;
      event.preventDefault();
      onEnter(current.name);
    } else if (event.key === 'Backspace' || event.key === 'ArrowLeft') {
      event.preventDefault();
      onUp();
    }
  };

  return (
    <div
      role="grid"
      aria-label={`Files in ${displayPath(path)}`}
      aria-busy={busy}
      aria-activedescendant={activeIndex >= 0 ? rowId(activeIndex) : undefined}
      tabIndex={0}
      className="table files-table"
      onKeyDown={onKeyDown}
    >
      <div role="rowgroup" className="thead">
        <div role="row" className="trow">
          <span role="columnheader" className="c-path">
            Name
          </span>
          <span role="columnheader" className="c-type">
            Type
          </span>
          <span role="columnheader" className="c-size">
            Size
          </span>
          <span role="columnheader" className="c-origin">
            Layer
          </span>
        </div>
      </div>
      <VirtualRows
        keys={keys}
        estimateSize={30}
        role="rowgroup"
        label="File rows"
        scrollToIndex={activeIndex >= 0 ? activeIndex : undefined}
        empty={<p className="empty">This directory is empty.</p>}
        renderRow={(_key, index) => {
          const entry = entries[index];
          return entry ? (
            <FileRow
              entry={entry}
              id={rowId(index)}
              active={index === activeIndex}
              onClick={onClick}
            />
          ) : null;
        }}
      />
    </div>
  );
}
