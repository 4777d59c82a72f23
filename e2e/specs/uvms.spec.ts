import { AppPage } from '../support/app-page.js';
import { expect, test } from '../support/fixtures.js';

test('creates an LCOW and a WCOW UVM and lists them with their OS, state and counts', async ({
  app,
}) => {
  const ui = new AppPage(app.page);
  await expect(app.page.getByText('No utility VMs yet.')).toBeVisible();
  await app.screenshot('empty');
  await ui.createUvm('lcow1', 'linux');
  await expect(app.page.getByText('Linux (LCOW)')).toBeVisible();
  await expect(ui.tab('SCSI')).toHaveAttribute('aria-selected', 'true');
  await expect(
    app.page.getByRole('grid', { name: 'SCSI controller 0' }).getByRole('gridcell'),
  ).toHaveCount(64);
  await ui.createUvm('wcow1', 'windows');
  await expect(app.page.getByText('Windows (WCOW)')).toBeVisible();
  await expect(ui.uvmList.getByRole('option')).toHaveCount(2);
  await expect(ui.uvm('lcow1')).toContainText('LCOW');
  await expect(ui.uvm('lcow1')).toContainText('Running');
  await expect(ui.uvm('wcow1')).toContainText('WCOW');
  await expect(ui.uvm('wcow1')).toContainText('SCSI 0 · vPMEM 0 · VSMB 0 · containers 0');

  await test.step('the CLI sees both', async () => {
    const list = await app.cli('--json', 'uvm', 'list');
    expect(list.code, list.stderr).toBe(0);
    expect(
      (JSON.parse(list.stdout) as Array<{ id: string; os: string }>)
        .map((u) => [u.id, u.os])
        .sort(),
    ).toEqual([
      ['lcow1', 'linux'],
      ['wcow1', 'windows'],
    ]);
  });

  await test.step('"/" focuses the filter, which narrows the list', async () => {
    await app.page.locator('body').click({ position: { x: 700, y: 600 } });
    await app.page.keyboard.press('/');
    await expect(ui.filter).toBeFocused();
    await app.page.keyboard.type('wcow');
    await expect(ui.uvmList.getByRole('option')).toHaveCount(1);
    await expect(ui.uvm('wcow1')).toBeVisible();
    await ui.filter.fill('');
  });

  await test.step('remove a UVM', async () => {
    await ui.openUvm('wcow1');
    await app.page.getByRole('button', { name: 'Remove UVM…' }).click();
    const dialog = app.page.getByRole('dialog', { name: 'Remove wcow1?' });
    await dialog.getByRole('button', { name: 'Remove', exact: true }).click();
    await expect(dialog).toBeHidden();
    await expect(ui.uvm('wcow1')).toHaveCount(0);
  });
});
