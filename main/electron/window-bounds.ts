/**
 * Remembers the window's position and size between runs, and refuses remembered bounds that no
 * longer fit on any display (a monitor was unplugged).
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface Bounds {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface WindowState {
  bounds: Bounds;
  maximized: boolean;
}

export const DEFAULT_SIZE = { width: 1400, height: 880 };
const MIN = { width: 720, height: 480 };

function isBounds(value: unknown): value is Bounds {
  const b = value as Partial<Bounds> | null;
  return (
    !!b &&
    [b.x, b.y, b.width, b.height].every((n) => typeof n === 'number' && Number.isFinite(n)) &&
    (b.width ?? 0) >= MIN.width &&
    (b.height ?? 0) >= MIN.height
  );
}

/** True if at least a 100×50 piece of the window's top edge is on one of the work areas. */
export function isVisible(bounds: Bounds, workAreas: readonly Bounds[]): boolean {
  return workAreas.some((area) => {
    const left = Math.max(bounds.x, area.x);
    const right = Math.min(bounds.x + bounds.width, area.x + area.width);
    const top = Math.max(bounds.y, area.y);
    const bottom = Math.min(bounds.y + 50, area.y + area.height);
    return right - left >= 100 && bottom - top >= 50;
  });
}

export function loadWindowState(
  file: string,
  workAreas: readonly Bounds[],
): WindowState | undefined {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<WindowState>;
    if (!isBounds(parsed.bounds) || !isVisible(parsed.bounds, workAreas)) return undefined;
    return { bounds: parsed.bounds, maximized: parsed.maximized === true };
  } catch {
    return undefined;
  }
}

export function saveWindowState(file: string, state: WindowState): void {
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    const temp = `${file}.tmp`;
    writeFileSync(temp, JSON.stringify(state));
    renameSync(temp, file);
  } catch {
    // Losing the window position is not worth an error dialog.
  }
}
