/**
 * A virtualised column of rows: only the rows in view (plus a margin) are in the DOM, which keeps
 * the first render of a UVM with hundreds of devices and a log of thousands of requests fast.
 * Rows are rendered by key so each row component can select its own data narrowly.
 */
import { useVirtualizer, observeElementRect, type Virtualizer } from '@tanstack/react-virtual';
import { useEffect, useRef, type CSSProperties, type ReactNode, type KeyboardEvent } from 'react';

export interface VirtualRowsProps {
  id?: string;
  keys: readonly string[];
  estimateSize: number;
  renderRow: (key: string, index: number) => ReactNode;
  /** Rows whose height depends on content are measured after render. */
  measure?: boolean;
  className?: string;
  role?: string;
  label: string;
  tabIndex?: number;
  activeDescendant?: string | undefined;
  onKeyDown?: (
    event: KeyboardEvent<HTMLDivElement>,
    virtualizer: Virtualizer<HTMLDivElement, Element>,
  ) => void;
  empty?: ReactNode;
  /** Keeps this row in view (and so in the DOM) whenever it changes: an active descendant
   * that a parent moves with the keyboard. */
  scrollToIndex?: number | undefined;
}

/** Before layout (and in jsdom) the scroll box has no height: assume a screenful. */
const observeRect: typeof observeElementRect<HTMLDivElement> = (instance, callback) =>
  observeElementRect(instance, (rect) =>
    callback(rect.height > 0 ? rect : { width: rect.width || 800, height: 800 }),
  );

export function VirtualRows(props: VirtualRowsProps) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: props.keys.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => props.estimateSize,
    getItemKey: (index) => props.keys[index] ?? index,
    overscan: 8,
    observeElementRect: observeRect,
  });
  const { scrollToIndex } = props;
  useEffect(() => {
    if (scrollToIndex !== undefined && scrollToIndex >= 0) virtualizer.scrollToIndex(scrollToIndex);
  }, [scrollToIndex, virtualizer]);
  const items = virtualizer.getVirtualItems();
  if (props.keys.length === 0 && props.empty !== undefined) {
    // A list role with no rows is an accessibility error: show the message in its place.
    return (
      <div ref={scrollRef} className={`virtual-rows empty-rows ${props.className ?? ''}`}>
        {props.empty}
      </div>
    );
  }
  const inner: CSSProperties = {
    height: virtualizer.getTotalSize(),
    position: 'relative',
    width: '100%',
  };
  return (
    <div
      ref={scrollRef}
      id={props.id}
      className={`virtual-rows ${props.className ?? ''}`}
      role={props.role}
      aria-label={props.label}
      tabIndex={props.tabIndex}
      aria-activedescendant={props.activeDescendant}
      onKeyDown={props.onKeyDown ? (e) => props.onKeyDown?.(e, virtualizer) : undefined}
    >
      {/* The wrappers are presentational so rows and options stay direct children of their list. */}
      <div style={inner} role="presentation">
        {items.map((item) => {
          const key = props.keys[item.index];
          if (key === undefined) return null;
          return (
            <div
              key={item.key}
              data-index={item.index}
              ref={props.measure ? virtualizer.measureElement : undefined}
              className="virtual-row"
              role="presentation"
              style={{
                position: 'absolute',
                top: 0,
                left: 0,
                width: '100%',
                transform: `translateY(${item.start}px)`,
                ...(props.measure ? {} : { height: item.size }),
              }}
            >
              {props.renderRow(key, item.index)}
            </div>
          );
        })}
      </div>
    </div>
  );
}
