/**
 * The qemu-only UI (Files tab, "Read back from the VM", parked vPMEM) against `serve` over the
 * in-memory service emulating the qemu backend: no VM is booted. Its file tree is the demo one
 * it makes from each container's layers (see main/ipc/testing/memory-service.ts).
 */
import { AppPage } from '../support/app-page.js';
import { seriousViolations } from '../support/axe.js';
import { expect, test } from '../support/fixtures.js';

test.use({ service: 'memory-qemu' });

test('qemu (emulated): browse a container with the layer of each file, read the VM back, parked vPMEM after unmount', async ({
  app,
}) => {
  const ui = new AppPage(app.page);
  await ui.createUvm('q1', 'linux', { vpmemCount: 2 });
  await expect(ui.readBack).toContainText('QEMU and the guest match the ledger');

  const base = await app.layer('base');
  const top = await app.layer('top');
  const guestRoot = '/run/gcs/c/q';
  const dialog = await ui.startMount('q1', {
    layers: [base, top],
    scratch: await app.scratch('q'),
    guestRoot,
  });
  await expect(dialog.getByRole('heading', { name: 'Mounted' })).toBeVisible();
  await dialog.getByRole('button', { name: 'Close', exact: true }).click();

  await test.step('Files: each entry with its layer; a whiteout struck through', async () => {
    await ui.filesTab.click();
    const root = ui.files('/');
    await expect(root.getByRole('row')).toHaveCount(8); // header + 7 entries
    const readme = root.getByRole('row').filter({ hasText: 'README' });
    await expect(readme.getByRole('gridcell').last()).toHaveText('top');
    await expect(readme.getByRole('gridcell').last()).toHaveAttribute('title', top);
    await expect(
      root.getByRole('row').filter({ hasText: 'layer-1.txt' }).getByRole('gridcell').last(),
    ).toHaveText('base');
    await expect(
      root.getByRole('row').filter({ hasText: 'tmp/' }).getByRole('gridcell').last(),
    ).toHaveText('scratch');
    const opt = root.getByRole('row').filter({ hasText: 'opt' });
    await expect(opt.locator('s')).toHaveText('opt');
    await expect(opt).toContainText('deleted by top');
    expect(await seriousViolations(app.page), 'Files tab').toEqual([]);
    await app.screenshot('qemu-files');
  });

  await test.step('Files: the keyboard enters a directory and comes back', async () => {
    const root = ui.files('/');
    await root.focus();
    await app.page.keyboard.press('ArrowDown'); // bin/ → etc/
    await app.page.keyboard.press('Enter');
    const etc = ui.files('/etc');
    await expect(etc).toBeFocused();
    await expect(
      etc.getByRole('row').filter({ hasText: 'hostname' }).getByRole('gridcell').last(),
    ).toHaveText('scratch');
    await expect(app.page.getByRole('navigation', { name: `Path in ${guestRoot}` })).toContainText(
      'etc',
    );
    await app.page.keyboard.press('Backspace');
    await expect(ui.files('/')).toBeFocused();
  });

  await test.step('unmount: the vPMEM devices are parked, and the read-back says so', async () => {
    await ui.unmount(guestRoot, /^All/);
    await expect(ui.readBack.getByRole('button', { name: '2 parked vPMEM devices' })).toBeVisible();
    await expect(ui.filesTab).toBeVisible();
    await ui.readBack.getByRole('button', { name: '2 parked vPMEM devices' }).click();
    await expect(ui.tab('vPMEM')).toHaveText('vPMEM (0 + 2 parked)');
    const table = app.page.getByRole('table', { name: 'vPMEM devices' });
    const parked = table
      .getByRole('row')
      .filter({ hasText: 'parked (QEMU cannot unplug virtio-pmem)' });
    await expect(parked).toHaveCount(2);
    await expect(parked.first()).toContainText('/base/layer.vhd');
    await ui.readBack.getByRole('button', { name: 'Check again' }).click();
    await expect(ui.readBack).toContainText(/checked \d/);
    expect(await seriousViolations(app.page), 'vPMEM tab with parked devices').toEqual([]);
    await app.screenshot('qemu-parked-vpmem');
  });
});
