import { readFile } from 'node:fs/promises';
import type { LogEntry } from '../../main/engine/views.js';
import { AppPage } from '../support/app-page.js';
import { expect, test } from '../support/fixtures.js';

test('the request log is live, filterable, expandable and exports what it shows', async ({
  app,
}) => {
  const ui = new AppPage(app.page);
  await ui.createUvm('lcow1', 'linux');
  await ui.createUvm('wcow1', 'windows');
  await ui.openUvm('lcow1');
  const dialog = await ui.startMount('lcow1', {
    layers: [await app.layer('a')],
    scratch: await app.scratch('s'),
    guestRoot: '/run/gcs/c/1',
  });
  await expect(dialog.getByRole('heading', { name: 'Mounted' })).toBeVisible();
  await dialog.getByRole('button', { name: 'Close', exact: true }).click();

  await ui.logLink.click();
  const list = app.page.getByRole('list', { name: 'HCS requests, newest first' });
  await expect(list.getByRole('listitem').first()).toContainText('Combined layers');
  await app.screenshot('request-log');

  await app.page.getByLabel('UVM').selectOption('lcow1');
  await app.page.getByLabel('Resource').selectOption('vPMEM');
  await expect(list.getByRole('listitem')).toHaveCount(1);
  const entry = list.getByRole('listitem').first();
  await entry.getByRole('button').click();
  await expect(entry.getByLabel(/Raw JSON of request/)).toContainText(
    'VirtualMachine/Devices/VirtualPMem/Devices/0',
  );

  const file = await app.download(() => app.page.getByRole('button', { name: 'Export…' }).click());
  expect(file).toMatch(/uvm-layers-log-.*\.jsonl$/);
  const lines = (await readFile(file, 'utf8')).trim().split('\n');
  const exported = lines.map((line) => JSON.parse(line) as LogEntry);
  expect(exported).toHaveLength(1);
  expect(exported[0]).toMatchObject({ uvm: 'lcow1', ok: true });
  expect(JSON.stringify(exported[0]?.request)).toContain('VirtualPMem');

  await test.step('a new request appears at the top without reload', async () => {
    await app.page.getByLabel('UVM').selectOption('');
    await app.page.getByLabel('Resource').selectOption('');
    const before = await list.getByRole('listitem').count();
    const cli = await app.cli(
      'mount',
      '--uvm',
      'lcow1',
      '--guest-root',
      '/run/gcs/c/2',
      await app.layer('b'),
      await app.scratch('s2'),
    );
    expect(cli.code, cli.stderr).toBe(0);
    await expect
      .poll(() => list.getByRole('listitem').count(), { timeout: 3000 })
      .toBeGreaterThan(before);
  });
});
