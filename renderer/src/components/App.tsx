/** The window: header with pages and theme, the UVM list, the page, the detail pane, the status bar. */
import { useEffect, useSyncExternalStore } from 'react';
import { useServices, useReplica, useUi } from '../app-context.js';
import { setTheme, type ThemeChoice } from '../state/ui.js';
import { CreateUvmDialog } from './CreateUvmDialog.js';
import { DetailPane } from './DetailPane.js';
import { ErrorText } from './ErrorText.js';
import { HelpDialog } from './HelpDialog.js';
import { LogView } from './LogView.js';
import { MountDialog } from './MountDialog.js';
import { RemoveUvmDialog } from './RemoveUvmDialog.js';
import { StatusBar } from './StatusBar.js';
import { UnmountDialog } from './UnmountDialog.js';
import { FILTER_INPUT_ID, UvmList } from './UvmList.js';
import { UvmPage } from './UvmPage.js';

const NEXT_THEME: Record<ThemeChoice, ThemeChoice> = {
  system: 'light',
  light: 'dark',
  dark: 'system',
};

function subscribeDark(callback: () => void): () => void {
  const query = globalThis.matchMedia?.('(prefers-color-scheme: dark)');
  query?.addEventListener('change', callback);
  return () => query?.removeEventListener('change', callback);
}
const prefersDark = (): boolean =>
  globalThis.matchMedia?.('(prefers-color-scheme: dark)').matches ?? false;

function useAppliedTheme(): 'light' | 'dark' {
  const choice = useUi((s) => s.theme);
  const dark = useSyncExternalStore(subscribeDark, prefersDark);
  const applied = choice === 'system' ? (dark ? 'dark' : 'light') : choice;
  useEffect(() => {
    document.documentElement.dataset.theme = applied;
  }, [applied]);
  return applied;
}

function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  return !!el && (el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName));
}

function useShortcuts(): void {
  const { ui } = useServices();
  useEffect(() => {
    let pendingG = false;
    const onKey = (event: KeyboardEvent) => {
      if (event.ctrlKey || event.metaKey || event.altKey) return;
      const state = ui.getState();
      if (event.key === 'Escape' && state.dialog === null && state.device !== null) {
        ui.setState({ device: null });
        return;
      }
      if (state.dialog !== null || isTyping(event.target)) return;
      if (pendingG) {
        pendingG = false;
        if (event.key === 'l') ui.setState({ page: 'log' });
        if (event.key === 'u') ui.setState({ page: 'uvms' });
        return;
      }
      if (event.key === '/') {
        event.preventDefault();
        ui.setState({ page: 'uvms' });
        requestAnimationFrame(() => document.getElementById(FILTER_INPUT_ID)?.focus());
      } else if (event.key === '?') {
        ui.setState({ dialog: { kind: 'help' } });
      } else if (event.key === 'g') {
        pendingG = true;
      }
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [ui]);
}

function Dialogs() {
  const { ui } = useServices();
  const dialog = useUi((s) => s.dialog);
  const close = () => ui.setState({ dialog: null });
  if (!dialog) return null;
  switch (dialog.kind) {
    case 'create':
      return <CreateUvmDialog onClose={close} />;
    case 'remove':
      return <RemoveUvmDialog uvm={dialog.uvm} onClose={close} />;
    case 'mount':
      return <MountDialog uvm={dialog.uvm} onClose={close} />;
    case 'unmount':
      return <UnmountDialog uvm={dialog.uvm} guestRoot={dialog.guestRoot} onClose={close} />;
    case 'help':
      return <HelpDialog onClose={close} />;
  }
}

export function App() {
  const { ui } = useServices();
  const page = useUi((s) => s.page);
  const theme = useUi((s) => s.theme);
  const phase = useReplica((s) => s.phase);
  const loadError = useReplica((s) => s.loadError);
  const applied = useAppliedTheme();
  useShortcuts();
  return (
    <div className="app">
      <header className="topbar">
        <h1>uvm-layers</h1>
        <nav aria-label="Pages" className="pages">
          <button
            type="button"
            aria-current={page === 'uvms' ? 'page' : undefined}
            onClick={() => ui.setState({ page: 'uvms' })}
          >
            Utility VMs
          </button>
          <button
            type="button"
            aria-current={page === 'log' ? 'page' : undefined}
            onClick={() => ui.setState({ page: 'log' })}
          >
            Request log
          </button>
        </nav>
        <span className="spacer" />
        <button
          type="button"
          aria-label={`Theme: ${theme === 'system' ? `system, Auto (${applied})` : theme}. Switch to ${NEXT_THEME[theme]}`}
          onClick={() => setTheme(ui, NEXT_THEME[theme])}
        >
          {applied === 'dark' ? '☾' : '☀'}{' '}
          {theme === 'system' ? 'Auto' : theme === 'dark' ? 'Dark' : 'Light'}
        </button>
        <button
          type="button"
          aria-label="Keyboard shortcuts"
          onClick={() => ui.setState({ dialog: { kind: 'help' } })}
        >
          ?
        </button>
      </header>
      {phase === 'failed' && loadError ? (
        <div className="banner">
          <ErrorText error={loadError} />
        </div>
      ) : null}
      {page === 'uvms' ? (
        <div className="body">
          <UvmList />
          <main className="main" aria-label="Utility VM">
            <UvmPage />
          </main>
          <DetailPane />
        </div>
      ) : (
        <div className="body">
          <main className="main" aria-label="Request log">
            <LogView />
          </main>
        </div>
      )}
      <StatusBar />
      <Dialogs />
    </div>
  );
}
