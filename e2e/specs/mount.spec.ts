import { AppPage } from '../support/app-page.js';
import { expect, test } from '../support/fixtures.js';

test('mounts LCOW layers through the dialog; devices show in the SCSI grid, vPMEM and the detail pane; unmount SCSI only, then all', async ({
  app,
}) => {
  const ui = new AppPage(app.page);
  // Two vPMEM slots for three layers: the third falls back to SCSI, as hcsshim does.
  await ui.createUvm('lcow1', 'linux', { vpmemCount: 2 });
  const layers = [await app.layer('base'), await app.layer('mid'), await app.layer('top')];
  const scratch = await app.scratch('c1');
  const guestRoot = '/run/gcs/c/c1';

  const dialog = await ui.startMount('lcow1', { layers, scratch, guestRoot });
  await test.step('the dialog shows each step live and the rootfs', async () => {
    const steps = dialog.getByRole('list', { name: 'Mount steps' });
    await expect(dialog.getByRole('heading', { name: 'Mounted' })).toBeVisible();
    await expect(steps.getByRole('listitem').filter({ hasText: 'vPMEM' })).toHaveCount(2);
    await expect(steps.getByRole('listitem').filter({ hasText: /SCSI/ })).not.toHaveCount(0);
    await expect(steps.getByRole('listitem').filter({ hasText: /[Cc]ombine/ })).toHaveCount(1);
    await expect(steps.locator('[data-status="failed"]')).toHaveCount(0);
    await expect(dialog.getByRole('status')).toContainText(`${guestRoot}/rootfs`);
    await app.screenshot('mount-dialog');
    await dialog.getByRole('button', { name: 'Close', exact: true }).click();
  });

  await test.step('SCSI grid: the top layer (read-only) and the scratch', async () => {
    await ui.tab('SCSI').click();
    await expect(ui.tab('SCSI')).toHaveText('SCSI (2)');
    await expect(app.page.getByRole('gridcell', { name: /read-only layer, 1 ref$/ })).toHaveCount(
      1,
    );
    await expect(app.page.getByRole('gridcell', { name: /scratch, 1 ref$/ })).toHaveCount(1);
    await app.screenshot('scsi-grid');
  });

  await test.step('detail pane: the scratch, its holder and the HCS requests that touched it', async () => {
    await app.page.getByRole('gridcell', { name: /scratch, 1 ref$/ }).click();
    await expect(ui.detailPane.getByRole('heading', { level: 3 })).toContainText('scratch');
    await expect(ui.detailPane).toContainText('sandbox.vhdx');
    await expect(
      ui.detailPane.getByRole('list', { name: 'Containers holding this device' }),
    ).toContainText(guestRoot);
    const requests = ui.detailPane.getByRole('list', {
      name: 'HCS requests that touched this device',
    });
    await expect(requests).toContainText('VirtualMachine/Devices/Scsi/');
    await requests.getByRole('listitem').first().locator('summary').click();
    await expect(requests.locator('pre').first()).toContainText('"RequestType"');
    await app.screenshot('detail-pane');
    await app.page.keyboard.press('Escape');
    await expect(ui.detailPane).toBeHidden();
  });

  await test.step('vPMEM table: the two base layers', async () => {
    await ui.tab('vPMEM').click();
    const table = app.page.getByRole('table', { name: 'vPMEM devices' });
    await expect(table.getByRole('row')).toHaveCount(3);
    await expect(table).toContainText('/base/layer.vhd');
    await expect(table).toContainText('/run/layers/p0');
    await table.getByRole('row').filter({ hasText: '/mid/layer.vhd' }).click();
    await expect(
      ui.detailPane.getByRole('list', { name: 'Containers holding this device' }),
    ).toContainText('layer 2');
  });

  await test.step('containers: each layer with the device it holds', async () => {
    await ui.tab('Containers').click();
    const row = ui.container(guestRoot);
    await expect(row.getByRole('list', { name: /Layers of/ }).getByRole('listitem')).toHaveCount(3);
    await expect(row).toContainText('vPMEM 0');
    await expect(row).toContainText('vPMEM 1');
    await app.screenshot('containers');
  });

  await test.step('unmount with SCSI only: the scratch goes; read-only layers (vPMEM and the SCSI fallback) stay', async () => {
    await ui.unmount(guestRoot, /^SCSI only/);
    await expect(ui.tab('SCSI')).toHaveText('SCSI (1)');
    await ui.tab('SCSI').click();
    await expect(app.page.getByRole('gridcell', { name: /scratch/ })).toHaveCount(0);
    await expect(app.page.getByRole('gridcell', { name: /read-only layer/ })).toHaveCount(1);
    await expect(ui.tab('vPMEM')).toHaveText('vPMEM (2)');
    await ui.tab('Containers').click();
    await expect(ui.container(guestRoot)).toContainText('partly unmounted');
  });

  await test.step('unmount all: nothing left', async () => {
    await ui.unmount(guestRoot, /^All/);
    await expect(ui.container(guestRoot)).toHaveCount(0);
    await expect(ui.tab('vPMEM')).toHaveText('vPMEM (0)');
    await expect(ui.tab('SCSI')).toHaveText('SCSI (0)');
    await expect(ui.uvm('lcow1')).toContainText('SCSI 0 · vPMEM 0 · VSMB 0 · containers 0');
  });
});

test('mounts WCOW layers over VSMB', async ({ app }) => {
  const ui = new AppPage(app.page);
  await ui.createUvm('wcow1', 'windows');
  const layers = [await app.layer('wbase'), await app.layer('wtop')];
  const scratch = await app.scratch('w1');
  const dialog = await ui.startMount('wcow1', { layers, scratch, guestRoot: 'C:\\c\\w1' });
  await expect(dialog.getByRole('heading', { name: 'Mounted' })).toBeVisible();
  await dialog.getByRole('button', { name: 'Close', exact: true }).click();
  await ui.tab('VSMB').click();
  const table = app.page.getByRole('table', { name: 'VSMB shares' });
  await expect(table.getByRole('row')).toHaveCount(3);
  await expect(table).toContainText('wbase');
  await expect(ui.tab('SCSI')).toHaveText('SCSI (1)');
  await app.screenshot('vsmb');
});
