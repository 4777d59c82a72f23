/** The app as a user sees it: locators by role and name, and the actions specs repeat. */
import { expect, test, type Locator, type Page } from '@playwright/test';

export interface MountInput {
  layers: string[];
  scratch: string;
  guestRoot: string;
}

export class AppPage {
  readonly newUvmButton: Locator;
  readonly uvmList: Locator;
  readonly filter: Locator;
  readonly detailPane: Locator;
  readonly statusBar: Locator;
  readonly logLink: Locator;
  readonly uvmsLink: Locator;

  constructor(readonly page: Page) {
    this.newUvmButton = page.getByRole('button', { name: 'New UVM' }).first();
    this.uvmList = page.getByRole('listbox', { name: 'Utility VMs' });
    this.filter = page.getByRole('searchbox', { name: 'Filter UVMs' });
    this.detailPane = page.getByRole('complementary', { name: 'Device details' });
    this.statusBar = page.getByRole('contentinfo');
    this.logLink = page
      .getByRole('navigation', { name: 'Pages' })
      .getByRole('button', { name: 'Request log' });
    this.uvmsLink = page
      .getByRole('navigation', { name: 'Pages' })
      .getByRole('button', { name: 'Utility VMs' });
  }

  uvm(id: string): Locator {
    return this.uvmList.getByRole('option', { name: new RegExp(`^${id}\\b`) });
  }

  tab(name: 'SCSI' | 'vPMEM' | 'VSMB' | 'Containers'): Locator {
    return this.page.getByRole('tab', { name: new RegExp(`^${name} \\(`) });
  }

  /** The Files tab (qemu backend only; it has no count). */
  get filesTab(): Locator {
    return this.page.getByRole('tab', { name: 'Files', exact: true });
  }

  /** The "Read back from the VM" strip (qemu backend only). */
  get readBack(): Locator {
    return this.page.getByRole('region', { name: 'Read back from the VM' });
  }

  files(path: string): Locator {
    return this.page.getByRole('grid', { name: `Files in ${path}` });
  }

  scsiCell(controller: number, lun: number): Locator {
    return this.page
      .getByRole('grid', { name: `SCSI controller ${controller}` })
      .getByRole('gridcell', { name: new RegExp(`^LUN ${lun}:`) });
  }

  container(guestRoot: string): Locator {
    return this.page.getByRole('article', { name: `Container ${guestRoot}` });
  }

  async createUvm(
    id: string,
    os: 'linux' | 'windows',
    options: { vpmemCount?: number } = {},
  ): Promise<void> {
    await test.step(`create ${os} UVM ${id}`, async () => {
      await this.newUvmButton.click();
      const dialog = this.page.getByRole('dialog', { name: 'New utility VM' });
      await dialog.getByLabel('ID').fill(id);
      await dialog.getByLabel(os === 'linux' ? 'Linux (LCOW)' : 'Windows (WCOW)').check();
      if (options.vpmemCount !== undefined)
        await dialog.getByLabel('vPMEM devices').fill(String(options.vpmemCount));
      await dialog.getByRole('button', { name: 'Create' }).click();
      await expect(dialog).toBeHidden();
      await expect(this.uvm(id)).toHaveAttribute('aria-selected', 'true');
      await expect(this.page.getByRole('heading', { level: 2, name: id })).toBeVisible();
    });
  }

  async openUvm(id: string): Promise<void> {
    await this.uvmsLink.click();
    await this.uvm(id).click();
    await expect(this.page.getByRole('heading', { level: 2, name: id })).toBeVisible();
  }

  /** Fills and submits the mount dialog; returns the dialog, left open on its progress view. */
  async startMount(uvm: string, input: MountInput): Promise<Locator> {
    return test.step(`mount ${input.guestRoot} in ${uvm}`, async () => {
      await this.page.getByRole('button', { name: 'Mount layers…' }).click();
      const dialog = this.page.getByRole('dialog', { name: `Mount layers in ${uvm}` });
      for (const [i, layer] of input.layers.entries()) {
        if (i > 0) await dialog.getByRole('button', { name: 'Add layer' }).click();
        await dialog.getByLabel(`Layer ${i + 1} folder`).fill(layer);
      }
      await dialog.getByLabel('Scratch folder (holds sandbox.vhdx)').fill(input.scratch);
      await dialog.getByLabel('Guest root').fill(input.guestRoot);
      await dialog.getByRole('button', { name: 'Mount', exact: true }).click();
      return dialog;
    });
  }

  async unmount(guestRoot: string, choice: RegExp): Promise<void> {
    await test.step(`unmount ${guestRoot} (${String(choice)})`, async () => {
      await this.tab('Containers').click();
      await this.container(guestRoot).getByRole('button', { name: 'Unmount…' }).click();
      const dialog = this.page.getByRole('dialog', { name: `Unmount ${guestRoot}` });
      await dialog.getByRole('radio', { name: choice }).check();
      await dialog.getByRole('button', { name: 'Unmount', exact: true }).click();
      await expect(dialog).toBeHidden();
    });
  }
}
