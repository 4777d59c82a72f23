import { AppPage } from '../support/app-page.js';
import { expect, test } from '../support/fixtures.js';

// The app's process fails its 3rd counted HCS request: the scratch, after two vPMEM layers.
test.use({ simFailAt: 3 });

test('a simulated HCS fault shows the rollback steps and the error, which stays on the row', async ({
  app,
}) => {
  const ui = new AppPage(app.page);
  await ui.createUvm('lcow1', 'linux');
  const layers = [await app.layer('a'), await app.layer('b')];
  const scratch = await app.scratch('s');
  const dialog = await ui.startMount('lcow1', { layers, scratch, guestRoot: '/run/gcs/c/bad' });

  await expect(dialog.getByRole('heading', { name: 'Failed — rolled back' })).toBeVisible();
  const steps = dialog.getByRole('list', { name: 'Mount steps' });
  await expect(steps.locator('[data-status="failed"]')).toHaveCount(1);
  await expect(steps.locator('li.rollback')).not.toHaveCount(0);
  await expect(steps.locator('li.rollback[data-status="failed"]')).toHaveCount(0);
  await expect(dialog.getByRole('alert')).toContainText('HCS_ERROR');
  await app.screenshot('mount-rollback');
  await dialog.getByRole('button', { name: 'Close', exact: true }).click();

  await test.step('nothing is left attached', async () => {
    await expect(ui.tab('SCSI')).toHaveText('SCSI (0)');
    await expect(ui.tab('vPMEM')).toHaveText('vPMEM (0)');
  });
  await test.step('the error stays: on the UVM row, in the containers tab and in the status bar', async () => {
    await expect(ui.uvm('lcow1')).toContainText('error');
    await ui.tab('Containers').click();
    const row = app.page.getByRole('article', { name: 'Failed mount /run/gcs/c/bad' });
    await expect(row).toContainText('HCS_ERROR');
    await expect(row).toContainText('Rolled back');
    await expect(ui.statusBar).toContainText('1 failed');
  });
  await test.step('the log shows the failed request', async () => {
    await ui.logLink.click();
    await app.page.getByLabel('Result').selectOption('failed');
    await expect(
      app.page.getByRole('list', { name: 'HCS requests, newest first' }).getByRole('listitem'),
    ).toHaveCount(1);
  });
});
