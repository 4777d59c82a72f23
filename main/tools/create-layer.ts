/** `layer create`: a directory or layer tar → FOLDER/layer.vhd, ext4 inside a fixed VHD. */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';

import { UvmLayersError } from '../engine/errors.js';
import { buildExt4Image } from './ext4-image.js';
import { extractLayerTar } from './layer-tar.js';
import { createVhdFooter } from './vhd-footer.js';
import { convertWhiteouts } from './whiteouts.js';

export const LAYER_FILE = 'layer.vhd';

/**
 * Creates `<outFolder>/layer.vhd` from `input` (a directory, or a tar whose OCI whiteouts become
 * overlay whiteouts). The image is ext4 (4 KiB blocks, no journal) padded to 2 MiB, then a fixed
 * VHD footer. `sizeBytes` is the whole file; the disk data is `sizeBytes - 512`. Refuses to
 * replace an existing layer.vhd: a layer attached as vPMEM is mapped from that file.
 */
export async function createLayer(
  input: string,
  outFolder: string,
): Promise<{ path: string; sizeBytes: number }> {
  const source = path.resolve(input);
  const folder = path.resolve(outFolder);
  const st = await statOrThrow(source);
  const target = path.join(folder, LAYER_FILE);
  await fs.mkdir(folder, { recursive: true });
  if (await exists(target)) {
    throw new UvmLayersError(
      'INVALID_ARGUMENT',
      `${target} already exists; remove it first or choose another --out folder`,
    );
  }
  // Work files sit in the output folder: same file system as the result (so the final rename is
  // atomic) and usually more space than /tmp.
  const work = await fs.mkdtemp(path.join(folder, '.layer-work-'));
  const partial = path.join(work, LAYER_FILE);
  try {
    let tree = source;
    let opaqueDirs: string[] = [];
    if (st.isFile()) {
      tree = path.join(work, 'rootfs');
      await fs.mkdir(tree, { mode: 0o755 });
      await fs.chmod(tree, 0o755);
      await extractLayerTar(source, tree);
      opaqueDirs = (await convertWhiteouts(tree)).opaqueDirs;
    } else if (!st.isDirectory()) {
      throw new UvmLayersError(
        'INVALID_ARGUMENT',
        `${source} is neither a directory nor a tar file`,
      );
    }
    const { sizeBytes } = await buildExt4Image(tree, partial, opaqueDirs);
    await fs.appendFile(partial, createVhdFooter({ sizeBytes }));
    await fs.rename(partial, target);
    return { path: target, sizeBytes: sizeBytes + 512 };
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
}

async function statOrThrow(p: string): Promise<import('node:fs').Stats> {
  try {
    return await fs.stat(p);
  } catch (error) {
    throw new UvmLayersError('INVALID_ARGUMENT', `layer input ${p}: ${(error as Error).message}`);
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await fs.lstat(p);
    return true;
  } catch {
    return false;
  }
}
