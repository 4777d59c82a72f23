/** The QEMU backend (`--backend qemu`): real Linux utility VMs behind the HcsBackend interface. */
export { createQemuBackend } from './qemu-backend.js';
export type { QemuBackend, QemuBackendOptions, RunState } from './qemu-backend.js';
export { listContainerFiles, isWhiteout } from './files.js';
export type { ContainerFiles, FileView } from './files.js';
export type { ReadBack, ReadBackNode, ReadBackPmem, ReadBackScsi } from './readback.js';
export type { ExpectedDevices, Mismatch, MismatchKind } from './compare.js';
export type { AgentEntry, AgentEntryType, AgentMount } from './agent-client.js';
export { GuestAgentError } from './agent-errors.js';
export type { AccelChoice } from './accel.js';
export { ACCEL_ENV } from './accel.js';
export type { BootImage } from './boot-image.js';
export { NO_IMAGE_MESSAGE } from './boot-image.js';
