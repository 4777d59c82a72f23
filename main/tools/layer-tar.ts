/** Extracts a layer tar (plain or compressed) with the system tar. */
import { UvmLayersError } from '../engine/errors.js';
import { requireExecutable, runTool } from './host-tools.js';

/**
 * Extracts `tarFile` into the existing directory `dest`. Owners are kept by number, not mapped
 * through the host's user names: the ids belong to the container image, not to this host.
 */
export async function extractLayerTar(tarFile: string, dest: string): Promise<void> {
  const tar = requireExecutable('tar', 'tar', 'creating a layer from a tar');
  const asRoot = process.getuid?.() === 0;
  const args = ['-x', '-f', tarFile, '-C', dest, '--numeric-owner'];
  // Root restores owners and exact modes (tar's default for root); others get their own files.
  if (asRoot) args.push('--same-owner', '--same-permissions');
  try {
    await runTool(tar, args, { what: `extracting ${tarFile}`, failureCode: 'INVALID_ARGUMENT' });
  } catch (error) {
    if (error instanceof UvmLayersError)
      throw new UvmLayersError(error.code, `${error.message} (is it a tar archive?)`);
    throw error;
  }
}
