// @vitest-environment jsdom
import { act, cleanup, fireEvent, screen, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../testing/harness.js';
import { App } from './App.js';

describe('the app', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness();
  });
  afterEach(() => {
    cleanup();
    h.close();
  });

  async function withUvm(id = 'u1', os: 'linux' | 'windows' = 'linux') {
    await h.service.createUvm({ id, os });
    h.mount(<App />);
    await h.settle();
  }

  it('lists UVMs with OS, state and counts, and filters them', async () => {
    await h.service.createUvm({ id: 'alpha', os: 'linux' });
    await h.service.createUvm({ id: 'beta', os: 'windows' });
    h.mount(<App />);
    await h.settle();
    const list = screen.getByRole('listbox', { name: 'Utility VMs' });
    expect(
      within(list)
        .getAllByRole('option')
        .map((o) => o.textContent),
    ).toEqual([
      expect.stringMatching(/alpha.*LCOW.*Running.*SCSI 0 · vPMEM 0 · VSMB 0 · containers 0/),
      expect.stringMatching(/beta.*WCOW/),
    ]);
    fireEvent.change(screen.getByRole('searchbox', { name: 'Filter UVMs' }), {
      target: { value: 'wcow' },
    });
    expect(
      within(list)
        .getAllByRole('option')
        .map((o) => o.textContent),
    ).toEqual([expect.stringMatching(/^beta/)]);
  });

  it('focuses the filter on "/"', async () => {
    await withUvm();
    fireEvent.keyDown(document.body, { key: '/' });
    await act(() => new Promise((resolve) => requestAnimationFrame(() => resolve(undefined))));
    expect(document.activeElement).toBe(screen.getByRole('searchbox', { name: 'Filter UVMs' }));
  });

  it('creates a UVM through the dialog and selects it', async () => {
    h.mount(<App />);
    await h.settle();
    fireEvent.click(screen.getAllByRole('button', { name: 'New UVM' })[0]!);
    const dialog = screen.getByRole('dialog', { name: 'New utility VM' });
    fireEvent.change(within(dialog).getByLabelText('ID'), { target: { value: 'w1' } });
    fireEvent.click(within(dialog).getByLabelText('Windows (WCOW)'));
    fireEvent.click(within(dialog).getByRole('button', { name: 'Create' }));
    await h.settle();
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(screen.getByRole('option', { name: /w1/, selected: true })).toBeTruthy();
    expect(screen.getByRole('heading', { name: 'w1' })).toBeTruthy();
  });

  it('mounts through the dialog with live steps; the SCSI grid and detail pane show the scratch and its holder', async () => {
    await withUvm();
    fireEvent.click(screen.getByRole('option', { name: /u1/ }));
    await h.settle();
    fireEvent.click(screen.getByRole('button', { name: 'Mount layers…' }));
    const dialog = screen.getByRole('dialog', { name: 'Mount layers in u1' });
    fireEvent.change(within(dialog).getByLabelText('Layer 1 folder'), {
      target: { value: '/l/base' },
    });
    fireEvent.change(within(dialog).getByLabelText(/Scratch folder/), {
      target: { value: '/s/1' },
    });
    const guestRoot = within(dialog).getByLabelText<HTMLInputElement>('Guest root');
    expect(guestRoot.value).toMatch(/^\/run\/gcs\/c\/[0-9a-f]{12}$/);
    fireEvent.change(guestRoot, { target: { value: '/run/gcs/c/x' } });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Mount' }));
    await h.settle();
    const steps = within(dialog).getByRole('list', { name: 'Mount steps' });
    expect(
      within(steps)
        .getAllByRole('listitem')
        .map((li) => li.getAttribute('data-status')),
    ).toEqual(['done', 'done', 'done']);
    expect(within(dialog).getByRole('status').textContent).toContain('/run/gcs/c/x/rootfs');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Close' }));
    await h.settle();

    const scratch = screen.getByRole('gridcell', { name: 'LUN 1: scratch, 1 ref' });
    expect(scratch.textContent).toContain('S1');
    expect(screen.getByRole('gridcell', { name: 'LUN 0: reserved (uvm scratch)' })).toBeTruthy();
    fireEvent.click(scratch);
    const pane = screen.getByRole('complementary', { name: 'Device details' });
    expect(within(pane).getByRole('heading', { name: /SCSI 0:1 — scratch/ })).toBeTruthy();
    expect(
      within(pane).getByRole('list', { name: 'Containers holding this device' }).textContent,
    ).toContain('/run/gcs/c/x');
    expect(
      within(pane).getByRole('list', { name: 'HCS requests that touched this device' }).textContent,
    ).toContain('VirtualMachine/Devices/Scsi/0/Attachments/1');

    fireEvent.click(screen.getByRole('tab', { name: /vPMEM \(1\)/ }));
    expect(screen.getByRole('table', { name: 'vPMEM devices' }).textContent).toContain(
      '/l/base/layer.vhd',
    );
    fireEvent.click(screen.getByRole('tab', { name: /Containers \(1\)/ }));
    const row = screen.getByRole('article', { name: 'Container /run/gcs/c/x' });
    expect(row.textContent).toContain('vPMEM 0');
  });

  it('unmounts with SCSI only, then all', async () => {
    await withUvm();
    await h.service.mount({
      uvm: 'u1',
      guestRoot: '/run/gcs/c/x',
      layers: ['/l/a'],
      scratch: '/s',
    });
    fireEvent.click(screen.getByRole('option', { name: /u1/ }));
    await h.settle();
    h.services.ui.setState({ tab: 'containers' });
    await h.settle();
    const unmount = async (label: RegExp) => {
      fireEvent.click(
        within(screen.getByRole('article', { name: 'Container /run/gcs/c/x' })).getByRole(
          'button',
          { name: 'Unmount…' },
        ),
      );
      const dialog = screen.getByRole('dialog', { name: 'Unmount /run/gcs/c/x' });
      fireEvent.click(within(dialog).getByLabelText(label));
      fireEvent.click(within(dialog).getByRole('button', { name: 'Unmount' }));
      await h.settle();
    };
    await unmount(/SCSI only/);
    expect(screen.getByRole('article', { name: 'Container /run/gcs/c/x' }).textContent).toContain(
      'partly unmounted',
    );
    expect(screen.getByRole('tab', { name: /SCSI \(0\)/ })).toBeTruthy();
    expect(screen.getByRole('tab', { name: /vPMEM \(1\)/ })).toBeTruthy();
    await unmount(/^All/);
    expect(screen.queryByRole('article', { name: 'Container /run/gcs/c/x' })).toBeNull();
    expect(screen.getByRole('tab', { name: /vPMEM \(0\)/ })).toBeTruthy();
  });

  it('shows a change made by another process without reload', async () => {
    await withUvm();
    fireEvent.click(screen.getByRole('option', { name: /u1/ }));
    await h.settle();
    await h.service.mount({
      uvm: 'u1',
      guestRoot: '/run/gcs/c/cli',
      layers: ['/l/a', '/l/b'],
      scratch: '/s',
    });
    await h.settle();
    expect(screen.getByRole('option', { name: /u1/ }).textContent).toContain('vPMEM 2');
    expect(screen.getByRole('tab', { name: /Containers \(1\)/ })).toBeTruthy();
  });

  it('filters the request log and expands raw JSON', async () => {
    await withUvm();
    await h.service.mount({
      uvm: 'u1',
      guestRoot: '/run/gcs/c/x',
      layers: ['/l/a'],
      scratch: '/s',
    });
    await h.settle();
    fireEvent.click(screen.getByRole('button', { name: 'Request log' }));
    const list = screen.getByRole('list', { name: 'HCS requests, newest first' });
    const first = within(list).getAllByRole('listitem')[0]!;
    expect(first.textContent).toMatch(/Combined layers/);
    fireEvent.change(screen.getByLabelText('Resource'), { target: { value: 'vPMEM' } });
    const items = within(
      screen.getByRole('list', { name: 'HCS requests, newest first' }),
    ).getAllByRole('listitem');
    expect(items).toHaveLength(1);
    const toggle = within(items[0]!).getByRole('button');
    fireEvent.click(toggle);
    expect(toggle.getAttribute('aria-expanded')).toBe('true');
    expect(within(items[0]!).getByLabelText(/Raw JSON of request/).textContent).toContain(
      '"ResourcePath": "VirtualMachine/Devices/VirtualPMem/Devices/0"',
    );
  });

  it('switches between light and dark', async () => {
    await withUvm();
    const toggle = screen.getByRole('button', { name: /^Theme: system/ });
    fireEvent.click(toggle);
    expect(document.documentElement.dataset.theme).toBe('light');
    fireEvent.click(screen.getByRole('button', { name: /^Theme: light/ }));
    expect(document.documentElement.dataset.theme).toBe('dark');
  });
});

describe('a failed mount', () => {
  let h: Harness;
  afterEach(() => {
    cleanup();
    h.close();
  });

  it('shows the rollback steps and the error, which stays on the row after the dialog closes', async () => {
    h = await createHarness({ failAt: 3 });
    await h.service.createUvm({ id: 'u1', os: 'linux' });
    h.mount(<App />);
    await h.settle();
    fireEvent.click(screen.getByRole('option', { name: /u1/ }));
    await h.settle();
    fireEvent.click(screen.getByRole('button', { name: 'Mount layers…' }));
    const dialog = screen.getByRole('dialog', { name: 'Mount layers in u1' });
    fireEvent.change(within(dialog).getByLabelText('Layer 1 folder'), {
      target: { value: '/l/a' },
    });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Add layer' }));
    fireEvent.change(within(dialog).getByLabelText('Layer 2 folder'), {
      target: { value: '/l/b' },
    });
    fireEvent.change(within(dialog).getByLabelText(/Scratch folder/), { target: { value: '/s' } });
    fireEvent.change(within(dialog).getByLabelText('Guest root'), {
      target: { value: '/run/gcs/c/bad' },
    });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Mount' }));
    await h.settle();
    expect(within(dialog).getByRole('heading', { name: 'Failed — rolled back' })).toBeTruthy();
    const steps = within(within(dialog).getByRole('list', { name: 'Mount steps' })).getAllByRole(
      'listitem',
    );
    expect(
      steps.map((s) => [s.getAttribute('data-status'), s.classList.contains('rollback')]),
    ).toEqual([
      ['done', false],
      ['done', false],
      ['failed', false],
      ['done', true],
      ['done', true],
    ]);
    expect(within(dialog).getByRole('alert').textContent).toMatch(
      /simulated fault.*HCS_ERROR · HRESULT 0x80004005/,
    );
    fireEvent.click(within(dialog).getByRole('button', { name: 'Close' }));
    await h.settle();
    expect(screen.getByRole('option', { name: /u1/ }).textContent).toContain('error');
    h.services.ui.setState({ tab: 'containers' });
    await h.settle();
    const row = screen.getByRole('article', { name: 'Failed mount /run/gcs/c/bad' });
    expect(row.textContent).toContain('simulated fault');
    expect(row.textContent).toContain('Rolled back');
    expect(screen.getByRole('status').textContent).toContain('1 failed');
    fireEvent.click(within(row).getByRole('button', { name: 'Dismiss' }));
    expect(screen.queryByRole('article', { name: 'Failed mount /run/gcs/c/bad' })).toBeNull();
  });
});
