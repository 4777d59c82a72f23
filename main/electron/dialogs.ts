/** Native folder pickers for the mount dialog (layers, base first, and the scratch). */
import type { BrowserWindow, Dialog } from 'electron';

export async function pickFolders(
  dialog: Pick<Dialog, 'showOpenDialog'>,
  window: BrowserWindow | undefined,
  options: { title?: string; multiple: boolean },
): Promise<string[]> {
  const dialogOptions = {
    title: options.title ?? (options.multiple ? 'Choose folders' : 'Choose a folder'),
    properties: options.multiple
      ? (['openDirectory', 'multiSelections', 'dontAddToRecent'] as const)
      : (['openDirectory', 'dontAddToRecent'] as const),
  };
  const result = window
    ? await dialog.showOpenDialog(window, {
        ...dialogOptions,
        properties: [...dialogOptions.properties],
      })
    : await dialog.showOpenDialog({ ...dialogOptions, properties: [...dialogOptions.properties] });
  return result.canceled ? [] : result.filePaths;
}
