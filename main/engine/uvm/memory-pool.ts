/**
 * The buddy allocator that packs multi-mapped vPMEM layers into one 4 GiB device (HCS-SPEC §6):
 * seven size classes from 1 MiB to 4 GiB, each four times the last; an allocation takes a whole
 * block of the smallest class that fits, at the lowest free offset, splitting a larger block into
 * four on demand; a release merges four free siblings back into their parent. The state is plain
 * JSON so it persists with the UVM.
 */
import { UvmLayersError } from '../errors.js';

export const MIB = 1024 * 1024;
export const PAGE_SIZE = 0x1000;
export const MAX_CLASS = 6;
export const POOL_SIZE = classSize(MAX_CLASS);

/** Key `${class}:${offset}` → block state. A pool starts as one free 4 GiB block. */
export interface PoolState {
  blocks: Record<string, 'free' | 'split' | 'allocated'>;
}

export function newPool(): PoolState {
  return { blocks: { [key(MAX_CLASS, 0)]: 'free' } };
}

export function classSize(cls: number): number {
  return MIB * 4 ** cls;
}

/** The size class of `size` bytes: 1 MiB blocks are class 0; over 4 GiB is no class. */
export function sizeClass(size: number): number {
  let units = Math.floor((size - 1) / MIB);
  let cls = 0;
  while (units > 0) {
    units = Math.floor(units / 4);
    cls++;
  }
  return cls;
}

export function pageAlign(size: number): number {
  return Math.ceil(size / PAGE_SIZE) * PAGE_SIZE;
}

function key(cls: number, offset: number): string {
  return `${cls}:${offset}`;
}

function freeOffsets(pool: PoolState, cls: number): number[] {
  const offsets: number[] = [];
  for (const [k, state] of Object.entries(pool.blocks)) {
    if (state !== 'free') continue;
    const [c, o] = k.split(':').map(Number);
    if (c === cls && o !== undefined) offsets.push(o);
  }
  return offsets.sort((a, b) => a - b);
}

/** Allocates a block for `size` bytes and returns its offset; the pool is changed in place. */
export function allocate(pool: PoolState, size: number): { offset: number; cls: number } {
  const cls = sizeClass(size);
  if (size <= 0 || cls > MAX_CLASS) {
    throw new UvmLayersError('NO_AVAILABLE_LOCATION', `invalid memory class for ${size} bytes`);
  }
  for (let from = cls; from <= MAX_CLASS; from++) {
    const offset = freeOffsets(pool, from)[0];
    if (offset === undefined) continue;
    // Split down to the wanted class, always keeping the lowest quarter.
    for (let c = from; c > cls; c--) {
      pool.blocks[key(c, offset)] = 'split';
      const child = classSize(c - 1);
      for (let i = 0; i < 4; i++) pool.blocks[key(c - 1, offset + i * child)] = 'free';
    }
    pool.blocks[key(cls, offset)] = 'allocated';
    return { offset, cls };
  }
  throw new UvmLayersError('NO_AVAILABLE_LOCATION', 'not enough space');
}

/** Frees the block at `offset` of class `cls` and merges free siblings upwards. */
export function release(pool: PoolState, offset: number, cls: number): void {
  if (pool.blocks[key(cls, offset)] !== 'allocated') {
    throw new UvmLayersError('INTERNAL', 'no memory allocated at the given offset');
  }
  pool.blocks[key(cls, offset)] = 'free';
  let c = cls;
  let o = offset;
  while (c < MAX_CLASS) {
    const parentSize = classSize(c + 1);
    const parent = o - (o % parentSize);
    const siblings = [0, 1, 2, 3].map((i) => key(c, parent + i * classSize(c)));
    if (!siblings.every((s) => pool.blocks[s] === 'free')) break;
    for (const s of siblings) delete pool.blocks[s];
    pool.blocks[key(c + 1, parent)] = 'free';
    c++;
    o = parent;
  }
}

export function isEmpty(pool: PoolState): boolean {
  return pool.blocks[key(MAX_CLASS, 0)] === 'free';
}
