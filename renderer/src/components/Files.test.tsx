// @vitest-environment jsdom
/**
 * The qemu-only parts of the UVM view, against the in-memory service in qemu mode: the Files
 * tab (container picker, breadcrumb, keyboard, layer of each entry, whiteouts) and the
 * "Read back from the VM" strip with its mismatches and the parked vPMEM rows.
 */
import { act, cleanup, fireEvent, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { FileEntryView } from '../../../main/engine/views.js';
import { createHarness, type Harness } from '../testing/harness.js';
import { App } from './App.js';

const file = (name: string, origin: string, extra: Partial<FileEntryView> = {}): FileEntryView => ({
  name,
  type: 'file',
  size: 10,
  origin,
  whiteout: false,
  ...extra,
});

const BASE = '/data/layers/base';
const APP = '/data/layers/app';

describe('on the sim backend', () => {
  let h: Harness;
  afterEach(() => {
    cleanup();
    h.close();
  });

  it('has no Files tab and no read-back strip (absent, not disabled), and never reads back', async () => {
    h = await createHarness();
    await h.service.createUvm({ id: 'u1', os: 'linux' });
    h.mount(<App />);
    await h.settle();
    fireEvent.click(screen.getByRole('option', { name: /u1/ }));
    await h.settle();
    const tabs = within(screen.getByRole('tablist', { name: 'Devices' })).getAllByRole('tab');
    expect(tabs.map((t) => t.textContent)).toEqual([
      'SCSI (0)',
      'vPMEM (0)',
      'VSMB (0)',
      'Containers (0)',
    ]);
    expect(screen.queryByRole('region', { name: 'Read back from the VM' })).toBeNull();
    expect(h.service.verifyCalls).toBe(0);
  });
});

describe('on the qemu backend', () => {
  let h: Harness;
  afterEach(() => {
    cleanup();
    h.close();
  });

  async function open(): Promise<void> {
    h = await createHarness({ backend: 'qemu' });
    await h.service.createUvm({ id: 'q1', os: 'linux' });
    h.mount(<App />);
    await h.settle();
    fireEvent.click(screen.getByRole('option', { name: /q1/ }));
    await h.settle();
  }

  async function mountSeeded(guestRoot = '/run/gcs/c/1'): Promise<void> {
    h.service.seedFiles('q1', guestRoot, {
      '': [
        { ...file('etc', BASE), type: 'dir', size: 4096 },
        file('README', APP, { size: 2048 }),
        file('notes.txt', 'scratch', { size: 5 }),
        { ...file('opt', APP), type: 'char', size: 0, whiteout: true },
        { ...file('bin', BASE), type: 'dir', size: 4096 },
      ],
      etc: [file('hostname', 'scratch'), file('os-release', BASE)],
      bin: [],
    });
    await h.service.mount({ uvm: 'q1', guestRoot, layers: [BASE, APP], scratch: '/s' });
    await h.settle();
  }

  const grid = (path: string) => screen.getByRole('grid', { name: `Files in ${path}` });
  const rowNamed = (g: HTMLElement, name: RegExp) =>
    within(g)
      .getAllByRole('row')
      .find((r) => name.test(r.textContent ?? ''))!;

  it('adds a Files tab that says when no container is mounted', async () => {
    await open();
    fireEvent.click(screen.getByRole('tab', { name: 'Files' }));
    expect(screen.getByRole('tabpanel').textContent).toMatch(/No containers mounted/);
  });

  it('lists the rootfs with type, size and the layer of each entry; whiteouts struck through', async () => {
    await open();
    await mountSeeded();
    fireEvent.click(screen.getByRole('tab', { name: 'Files' }));
    await h.settle();
    const root = grid('/');
    const rows = within(root).getAllByRole('row').slice(1);
    // Directories first, then by name.
    expect(rows.map((r) => within(r).getAllByRole('gridcell')[0]?.textContent)).toEqual([
      'bin/',
      'etc/',
      'README',
      'notes.txt',
      'opt (deleted)',
    ]);
    const readme = within(rowNamed(root, /^README/)).getAllByRole('gridcell');
    expect(readme.map((c) => c.textContent)).toEqual(['README', 'file', '2.0 KiB', 'app']);
    expect(readme[3]?.getAttribute('title')).toBe(APP);
    expect(readme[2]?.getAttribute('title')).toBe('2048 bytes');
    const own = within(rowNamed(root, /^notes/)).getAllByRole('gridcell')[3];
    expect(own?.textContent).toBe('scratch');
    expect(own?.getAttribute('title')).toMatch(/own writes/);
    const gone = rowNamed(root, /^opt/);
    expect(gone.querySelector('s')?.textContent).toBe('opt');
    expect(
      within(gone)
        .getAllByRole('gridcell')
        .map((c) => c.textContent),
    ).toEqual(['opt (deleted)', 'whiteout', '—', 'deleted by app']);
    expect(within(gone).getAllByRole('gridcell')[3]?.getAttribute('title')).toBe(APP);
  });

  it('is keyboard usable: arrows move, Enter opens a directory, Backspace goes up to it', async () => {
    await open();
    await mountSeeded();
    fireEvent.click(screen.getByRole('tab', { name: 'Files' }));
    await h.settle();
    const root = grid('/');
    root.focus();
    const activeName = (g: HTMLElement) =>
      document.getElementById(g.getAttribute('aria-activedescendant') ?? '')?.textContent;
    expect(activeName(root)).toMatch(/^bin\//);
    fireEvent.keyDown(root, { key: 'ArrowDown' });
    expect(activeName(root)).toMatch(/^etc\//);
    fireEvent.keyDown(root, { key: 'Enter' });
    await h.settle();
    const etc = grid('/etc');
    expect(document.activeElement).toBe(etc);
    expect(within(etc).getAllByRole('row')).toHaveLength(3);
    const trail = screen.getByRole('navigation', { name: 'Path in /run/gcs/c/1' });
    expect(
      within(trail)
        .getAllByRole('listitem')
        .map((li) => li.textContent),
    ).toEqual(['rootfs', 'etc']);
    expect(within(trail).getByText('etc').getAttribute('aria-current')).toBe('location');
    fireEvent.keyDown(etc, { key: 'End' });
    expect(activeName(etc)).toMatch(/^os-release/);
    fireEvent.keyDown(etc, { key: 'Backspace' });
    await h.settle();
    // Back at the root, on the directory we came from.
    expect(activeName(grid('/'))).toMatch(/^etc\//);
    // Enter on a file does nothing; a click on a directory opens it; the breadcrumb goes back.
    fireEvent.keyDown(grid('/'), { key: 'End' });
    fireEvent.keyDown(grid('/'), { key: 'Enter' });
    await h.settle();
    expect(grid('/')).toBeTruthy();
    fireEvent.click(rowNamed(grid('/'), /^bin\//));
    await h.settle();
    expect(screen.getByText('This directory is empty.')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'rootfs' }));
    await h.settle();
    expect(grid('/')).toBeTruthy();
  });

  it('picks among mounted containers, and shows the agent error for a missing directory', async () => {
    await open();
    await mountSeeded('/run/gcs/c/1');
    await h.service.mount({ uvm: 'q1', guestRoot: '/run/gcs/c/2', layers: [BASE], scratch: '/t' });
    await h.settle();
    fireEvent.click(screen.getByRole('tab', { name: 'Files' }));
    await h.settle();
    const picker = screen.getByRole('combobox', { name: 'Container' });
    expect(
      within(picker)
        .getAllByRole('option')
        .map((o) => o.textContent),
    ).toEqual(['/run/gcs/c/1', '/run/gcs/c/2']);
    fireEvent.change(picker, { target: { value: '/run/gcs/c/2' } });
    await h.settle();
    // Not seeded: the demo tree, made from its one layer.
    expect(within(grid('/')).getByText('layer-1.txt')).toBeTruthy();
    expect(screen.getByRole('navigation', { name: 'Path in /run/gcs/c/2' })).toBeTruthy();

    h.services.ui.setState({ filesAt: { q1: { guestRoot: '/run/gcs/c/2', path: 'nope' } } });
    await h.settle();
    expect(screen.getByRole('tabpanel').textContent).toMatch(
      /No such file or directory.*HCS_ERROR/,
    );
    expect(screen.queryByRole('grid')).toBeNull();
  });

  it('the read-back strip: ok, then mismatches after "Check again", refreshed by changes, never polled', async () => {
    await open();
    const strip = screen.getByRole('region', { name: 'Read back from the VM' });
    expect(strip.textContent).toMatch(/QEMU and the guest match the ledger \(Running\)/);
    const calls = h.service.verifyCalls;

    h.service.seedVerify('q1', {
      mismatches: [
        {
          kind: 'scsi-missing',
          subject: 'scsi 0:1',
          expected: '/s/sandbox.vhdx',
          message:
            'scsi 0:1 (/s/sandbox.vhdx) is in the ledger but no such disk is attached in QEMU',
        },
      ],
    });
    // Silent: nothing changes until asked.
    await act(() => new Promise((resolve) => setTimeout(resolve, 30)));
    expect(h.service.verifyCalls).toBe(calls);
    fireEvent.click(within(strip).getByRole('button', { name: 'Check again' }));
    await h.settle();
    expect(h.service.verifyCalls).toBe(calls + 1);
    expect(strip.textContent).toMatch(/1 mismatch with the ledger/);
    const item = within(
      within(strip).getByRole('list', { name: 'Mismatches with the ledger' }),
    ).getAllByRole('listitem');
    expect(item.map((li) => li.textContent)).toEqual([
      'scsi-missing scsi 0:1 scsi 0:1 (/s/sandbox.vhdx) is in the ledger but no such disk is attached in QEMU',
    ]);
    expect(item[0]?.getAttribute('title')).toBe('ledger: /s/sandbox.vhdx');

    // A change made by another process reads the VM back again.
    h.service.seedVerify('q1', {});
    h.service.mutate('q1', (v) => (v.state = 'Running'));
    await h.settle();
    expect(h.service.verifyCalls).toBe(calls + 2);
    expect(strip.textContent).toMatch(/match the ledger/);
    expect(within(strip).queryByRole('list')).toBeNull();
  });

  it('lists parked vPMEM devices in the vPMEM tab after an unmount', async () => {
    await open();
    await mountSeeded();
    await h.service.unmount({ uvm: 'q1', guestRoot: '/run/gcs/c/1' });
    await h.settle();
    const strip = screen.getByRole('region', { name: 'Read back from the VM' });
    fireEvent.click(within(strip).getByRole('button', { name: '2 parked vPMEM devices' }));
    expect(
      screen.getByRole('tab', { name: 'vPMEM (0 + 2 parked)' }).getAttribute('aria-selected'),
    ).toBe('true');
    const table = screen.getByRole('table', { name: 'vPMEM devices' });
    const parked = within(table)
      .getAllByRole('row')
      .filter((r) => /parked \(QEMU cannot unplug virtio-pmem\)/.test(r.textContent ?? ''));
    expect(parked.map((r) => within(r).getAllByRole('cell')[1]?.textContent)).toEqual([
      `${BASE}/layer.vhd`,
      `${APP}/layer.vhd`,
    ]);
  });
});
