/** View state of one window: what is selected and open. Not shared with other windows. */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { DeviceKey } from './devices.js';

export type ThemeChoice = 'system' | 'light' | 'dark';
/** `files` exists only on the qemu backend (a real guest to read the rootfs from). */
export type UvmTab = 'scsi' | 'vpmem' | 'vsmb' | 'containers' | 'files';

/** Where the Files tab of a UVM is: which container, and the directory relative to its rootfs. */
export interface FilesPosition {
  guestRoot: string;
  /** No leading or trailing slash; `''` is the rootfs itself. */
  path: string;
  /** The focused entry's name in that directory. */
  active?: string;
}

export type DialogState =
  | null
  | { kind: 'create' }
  | { kind: 'remove'; uvm: string }
  | { kind: 'mount'; uvm: string }
  | { kind: 'unmount'; uvm: string; guestRoot: string }
  | { kind: 'help' };

export interface LogFilter {
  uvm: string;
  resource: string;
  result: 'all' | 'ok' | 'failed';
}

export interface UiState {
  page: 'uvms' | 'log';
  selectedUvm: string | null;
  tab: UvmTab;
  device: { uvm: string; key: DeviceKey } | null;
  filter: string;
  theme: ThemeChoice;
  dialog: DialogState;
  logFilter: LogFilter;
  tasksOpen: boolean;
  /** The Files tab's position, by UVM id. */
  filesAt: Record<string, FilesPosition>;
}

export type UiStore = StoreApi<UiState>;

const THEME_KEY = 'uvm-layers-theme';

function storedTheme(): ThemeChoice {
  try {
    const value = globalThis.localStorage?.getItem(THEME_KEY);
    return value === 'light' || value === 'dark' ? value : 'system';
  } catch {
    return 'system';
  }
}

export function createUiStore(): UiStore {
  return createStore<UiState>(() => ({
    page: 'uvms',
    selectedUvm: null,
    tab: 'scsi',
    device: null,
    filter: '',
    theme: storedTheme(),
    dialog: null,
    logFilter: { uvm: '', resource: '', result: 'all' },
    tasksOpen: false,
    filesAt: {},
  }));
}

export function setTheme(store: UiStore, theme: ThemeChoice): void {
  try {
    globalThis.localStorage?.setItem(THEME_KEY, theme);
  } catch {
    // Private windows may refuse storage; the choice still applies to this session.
  }
  store.setState({ theme });
}

export function selectUvm(store: UiStore, id: string | null): void {
  store.setState((s) =>
    s.selectedUvm === id ? s : { selectedUvm: id, device: null, page: 'uvms' },
  );
}

export function setFilesAt(store: UiStore, uvm: string, position: FilesPosition): void {
  store.setState((s) => ({ filesAt: { ...s.filesAt, [uvm]: position } }));
}
