/** The kernel and initramfs a utility VM boots, as `uvm-layers image build` leaves them. */
import * as fs from 'node:fs';
import { UvmLayersError } from '../../engine/errors.js';
import { imagePaths, isImageBuilt } from './image/index.js';

export interface BootImage {
  kernel: string;
  initrd: string;
}

export const NO_IMAGE_MESSAGE =
  'no utility VM image: run `uvm-layers image build` (npm run uvm-image)';

/** `override` (tests, embedders) wins; otherwise the image built under `stateDir`. */
export function resolveBootImage(stateDir: string, override?: BootImage): BootImage {
  const image = override ?? (isImageBuilt(stateDir) ? imagePaths(stateDir) : undefined);
  if (!image || !fs.existsSync(image.kernel) || !fs.existsSync(image.initrd)) {
    throw new UvmLayersError('BACKEND_UNAVAILABLE', NO_IMAGE_MESSAGE);
  }
  return image;
}
