import { AppPage } from '../support/app-page.js';
import { expect, test } from '../support/fixtures.js';

test('a mount made by the CLI appears live, without reload', async ({ app }) => {
  const ui = new AppPage(app.page);
  await ui.createUvm('lcow1', 'linux');
  await ui.tab('Containers').click();
  await expect(app.page.getByText('No containers mounted.')).toBeVisible();
  const layer = await app.layer('cli-base');
  const scratch = await app.scratch('cli');

  const cli = await app.cli(
    'mount',
    '--uvm',
    'lcow1',
    '--guest-root',
    '/run/gcs/c/x',
    layer,
    scratch,
  );
  expect(cli.code, cli.stderr).toBe(0);

  // Within a second or so: the store watch reports the other process's write.
  await expect(ui.container('/run/gcs/c/x')).toBeVisible({ timeout: 3000 });
  await expect(ui.tab('vPMEM')).toHaveText('vPMEM (1)');
  await expect(ui.uvm('lcow1')).toContainText('containers 1');

  const unmount = await app.cli('unmount', '--uvm', 'lcow1', '--guest-root', '/run/gcs/c/x');
  expect(unmount.code, unmount.stderr).toBe(0);
  await expect(ui.container('/run/gcs/c/x')).toHaveCount(0, { timeout: 3000 });
});
