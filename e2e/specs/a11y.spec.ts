import { AppPage } from '../support/app-page.js';
import { seriousViolations } from '../support/axe.js';
import { expect, test } from '../support/fixtures.js';

test('no serious or critical accessibility violations on the main screens, in light and dark', async ({
  app,
}) => {
  const ui = new AppPage(app.page);
  await ui.createUvm('lcow1', 'linux');
  const dialog = await ui.startMount('lcow1', {
    layers: [await app.layer('a')],
    scratch: await app.scratch('s'),
    guestRoot: '/run/gcs/c/1',
  });
  await expect(dialog.getByRole('heading', { name: 'Mounted' })).toBeVisible();
  expect(await seriousViolations(app.page), 'mount dialog').toEqual([]);
  await dialog.getByRole('button', { name: 'Close', exact: true }).click();

  for (const theme of ['light', 'dark'] as const) {
    await test.step(`${theme} theme`, async () => {
      while (
        (await app.page.evaluate(() => document.documentElement.dataset.theme)) !== theme ||
        !(await app.page.getByRole('button', { name: new RegExp(`^Theme: ${theme}`) }).count())
      ) {
        await app.page.getByRole('button', { name: /^Theme:/ }).click();
      }
      await ui.openUvm('lcow1');
      await ui.tab('SCSI').click();
      await app.page.getByRole('gridcell', { name: /scratch/ }).click();
      expect(await seriousViolations(app.page), `UVM view, ${theme}`).toEqual([]);
      for (const tab of ['vPMEM', 'Containers'] as const) {
        await ui.tab(tab).click();
        expect(await seriousViolations(app.page), `${tab} tab, ${theme}`).toEqual([]);
      }
      await ui.logLink.click();
      await app.page
        .getByRole('list', { name: 'HCS requests, newest first' })
        .getByRole('listitem')
        .first()
        .getByRole('button')
        .click();
      expect(await seriousViolations(app.page), `request log, ${theme}`).toEqual([]);
      if (theme === 'dark') await app.screenshot('request-log-dark');
    });
  }
  await ui.uvmsLink.click();
  await app.page.getByRole('button', { name: 'Keyboard shortcuts' }).click();
  expect(await seriousViolations(app.page), 'help dialog').toEqual([]);
});
