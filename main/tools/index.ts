/** Layer tools: build the disks a QEMU utility VM mounts (fixed-VHD ext4 layers, VHDX scratch). */
export { createLayer, LAYER_FILE } from './create-layer.js';
export { createScratch, DEFAULT_SCRATCH_BYTES, SCRATCH_FILE } from './create-scratch.js';
export {
  chsGeometry,
  createVhdFooter,
  parseVhdFooter,
  readFixedVhd,
  vhdChecksum,
  VHD_FOOTER_SIZE,
  VHD_TYPE_FIXED,
  type ChsGeometry,
  type FixedVhdInfo,
  type VhdFooter,
} from './vhd-footer.js';
export { LAYER_ALIGNMENT } from './ext4-image.js';
