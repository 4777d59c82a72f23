/** The QEMU utility VM's boot image: build it, and find it. */
export { buildUtilityVmImage, type BuildImageOptions } from './build-image.js';
export { imagePaths, isImageBuilt } from './paths.js';
export { UVM_MODULES } from './kernel-modules.js';
