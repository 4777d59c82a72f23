import { describe, expect, it } from 'vitest';
import type { FileEntryView } from '../../../main/engine/views.js';
import {
  crumbs,
  displayPath,
  entryKey,
  joinPath,
  originLabel,
  originTitle,
  parentPath,
  sortEntries,
} from './files.js';

const e = (name: string, type: FileEntryView['type'], whiteout = false): FileEntryView => ({
  name,
  type,
  size: 0,
  origin: '/l/a',
  whiteout,
});

describe('files paths and labels', () => {
  it('walks paths relative to the rootfs', () => {
    expect(joinPath('', 'etc')).toBe('etc');
    expect(joinPath('/etc/', 'ssl')).toBe('etc/ssl');
    expect(parentPath('etc/ssl')).toBe('etc');
    expect(parentPath('etc')).toBe('');
    expect(parentPath('')).toBeNull();
    expect(displayPath('')).toBe('/');
    expect(displayPath('etc/ssl')).toBe('/etc/ssl');
    expect(crumbs('etc/ssl')).toEqual([
      { label: 'rootfs', path: '' },
      { label: 'etc', path: 'etc' },
      { label: 'ssl', path: 'etc/ssl' },
    ]);
  });

  it('labels an origin by its folder name, scratch as scratch', () => {
    expect(originLabel('/tmp/ex/layers/python')).toBe('python');
    expect(originLabel('/tmp/ex/layers/python/')).toBe('python');
    expect(originLabel('C:\\layers\\base')).toBe('base');
    expect(originLabel('scratch')).toBe('scratch');
    expect(originTitle('scratch')).toMatch(/own writes/);
    expect(originTitle('/l/a')).toBe('/l/a');
  });

  it('lists directories first, then by name; keys tell whiteouts apart', () => {
    const sorted = sortEntries([
      e('b', 'file'),
      e('z', 'dir'),
      e('a', 'char', true),
      e('c', 'dir'),
    ]);
    expect(sorted.map((x) => x.name)).toEqual(['c', 'z', 'a', 'b']);
    expect(entryKey(e('a', 'char', true))).not.toBe(entryKey(e('a', 'file')));
  });
});
