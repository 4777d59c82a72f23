/**
 * The schema 2.1 ComputeSystem documents for new utility VMs: the smallest configurations that
 * boot the way hcsshim boots them (internal/uvm/create_lcow.go, create_wcow.go), with the device
 * controllers the layer engine hot-plugs into.
 *
 * Two choices differ from hcsshim on purpose:
 * - `ShouldTerminateOnLastHandleClosed` is left off. hcsshim keeps its handle for the UVM's whole
 *   life; uvm-layers' CLI, app and web host are separate processes that open a handle per call,
 *   so the VM must outlive the process that created it. `uvm rm` terminates it explicitly.
 * - The guest connection is HCS's own (no external bridge): uvm-layers has no GCS client, so
 *   HCS forwards each request's `GuestRequest` to the guest.
 */
import { existsSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { UvmLayersError } from '../../engine/errors.js';
import type { UvmCreateConfig } from '../backend.js';
import type { VirtualSmbShareOptions } from '../schema.js';

export const SCHEMA_VERSION = { Major: 2, Minor: 1 } as const;

/** Lets SYSTEM and Administrators bind hvsockets into the VM (hcsshim's descriptor). */
export const HVSOCKET_BIND_SDDL = 'D:P(A;;FA;;;SY)(A;;FA;;;BA)';

/** LinuxKernelDirect arrived in build 18286; older hosts boot the kernel through UEFI from VmbFs. */
export const KERNEL_DIRECT_MIN_BUILD = 18286;

export const LCOW_KERNEL = 'kernel';
export const LCOW_UNCOMPRESSED_KERNEL = 'vmlinux';
export const LCOW_INITRD = 'initrd.img';

/**
 * What init runs after `--`. No `vsockexec -e 109` (hcsshim forwards GCS logs to a host
 * listener uvm-layers does not have, and vsockexec fails without one) and no init `-e 1`
 * (the entropy port hcsshim serves).
 */
export const DEFAULT_LCOW_EXEC = '/bin/gcs -v4 -log-format json -loglevel info';

export interface VmSizing {
  owner: string;
  memoryMb: number;
  processorCount: number;
}

export interface LcowBoot {
  bootFilesPath: string;
  /** File name inside bootFilesPath. */
  kernelFile: string;
  initrdPath: string;
  kernelDirect: boolean;
  /** The command init executes in the guest. */
  exec: string;
}

/** A compute-system document as HCS reads it; only the parts uvm-layers sets are typed. */
export interface ComputeSystemDocument {
  Owner: string;
  SchemaVersion: { Major: number; Minor: number };
  VirtualMachine: {
    StopOnReset: boolean;
    Chipset: Record<string, unknown>;
    ComputeTopology: {
      Memory: Record<string, unknown>;
      Processor: { Count: number };
    };
    Devices: Record<string, unknown>;
    GuestConnection: Record<string, unknown>;
  };
}

/** The host's Windows build (10.0.<build>), or 0 elsewhere. */
export function hostWindowsBuild(): number {
  if (process.platform !== 'win32') return 0;
  const build = Number.parseInt(os.release().split('.')[2] ?? '', 10);
  return Number.isFinite(build) ? build : 0;
}

/**
 * Finds the boot files like hcsshim: `initrd.img` is required; the kernel is `vmlinux` when the
 * host boots kernels directly and one is present (uncompressed boots faster), else `kernel`.
 */
export function resolveLcowBoot(bootFilesPath: string, windowsBuild: number, exec = DEFAULT_LCOW_EXEC): LcowBoot {
  const kernelDirect = windowsBuild >= KERNEL_DIRECT_MIN_BUILD;
  const candidates = kernelDirect ? [LCOW_UNCOMPRESSED_KERNEL, LCOW_KERNEL] : [LCOW_KERNEL];
  const kernelFile = candidates.find((name) => existsSync(path.join(bootFilesPath, name)));
  if (kernelFile === undefined) {
    throw new UvmLayersError(
      'INVALID_ARGUMENT',
      `LCOW boot files folder ${bootFilesPath} has no kernel (looked for ${candidates.join(', ')})`,
    );
  }
  const initrdPath = path.join(bootFilesPath, LCOW_INITRD);
  if (!existsSync(initrdPath)) {
    throw new UvmLayersError('INVALID_ARGUMENT', `LCOW boot files folder ${bootFilesPath} has no ${LCOW_INITRD}`);
  }
  return { bootFilesPath, kernelFile, initrdPath, kernelDirect, exec };
}

/** hcsshim's non-debug LCOW command line: no serial console, panic reboots (and so stops) the VM. */
export function lcowKernelCommandLine(boot: LcowBoot, processorCount: number): string {
  const args: string[] = [];
  // Under UEFI the kernel finds the initrd on the VmbFs share; kernel-direct passes InitRdPath.
  if (!boot.kernelDirect) args.push(`initrd=/${LCOW_INITRD}`);
  args.push('8250_core.nr_uarts=0', 'panic=-1', 'quiet');
  args.push(`nr_cpus=${processorCount}`, 'pci=off', 'brd.rd_nr=0', 'pmtmr=0', '--', boot.exec);
  return args.join(' ');
}

export function lcowDocument(config: UvmCreateConfig, boot: LcowBoot, sizing: VmSizing): ComputeSystemDocument {
  const commandLine = lcowKernelCommandLine(boot, sizing.processorCount);
  const chipset = boot.kernelDirect
    ? {
        LinuxKernelDirect: {
          KernelFilePath: path.join(boot.bootFilesPath, boot.kernelFile),
          InitRdPath: boot.initrdPath,
          KernelCmdLine: commandLine,
        },
      }
    : {
        Uefi: {
          BootThis: {
            DevicePath: `\\${boot.kernelFile}`,
            DeviceType: 'VmbFs',
            VmbFsRootPath: boot.bootFilesPath,
            OptionalData: commandLine,
          },
        },
      };
  const devices: Record<string, unknown> = {
    Scsi: scsiControllers(config.scsiControllers),
    HvSocket: { HvSocketConfig: { DefaultBindSecurityDescriptor: HVSOCKET_BIND_SDDL } },
    Plan9: {},
  };
  if (config.vpmemCount > 0) {
    devices.VirtualPMem = { MaximumCount: config.vpmemCount, MaximumSizeBytes: config.vpmemMaxSizeBytes };
  }
  return {
    Owner: sizing.owner,
    SchemaVersion: { ...SCHEMA_VERSION },
    VirtualMachine: {
      StopOnReset: true,
      Chipset: chipset,
      ComputeTopology: {
        Memory: { SizeInMB: sizing.memoryMb, AllowOvercommit: !config.physicallyBacked },
        Processor: { Count: sizing.processorCount },
      },
      Devices: devices,
      GuestConnection: { UseVsock: true, UseConnectedSuspend: true },
    },
  };
}

/** The UVM's own scratch is SCSI 0:0 (the slot the engine reserves); the OS files come over VSMB. */
export function wcowDocument(config: UvmCreateConfig, utilityVmPath: string, scratchPath: string, sizing: VmSizing): ComputeSystemDocument {
  const osShareOptions: VirtualSmbShareOptions = {
    ReadOnly: true,
    ShareRead: true,
    CacheIo: true,
    PseudoOplocks: true,
    TakeBackupPrivilege: true,
  };
  if (config.physicallyBacked) osShareOptions.NoDirectmap = true;
  const allowOvercommit = !config.physicallyBacked;
  return {
    Owner: sizing.owner,
    SchemaVersion: { ...SCHEMA_VERSION },
    VirtualMachine: {
      StopOnReset: true,
      Chipset: { Uefi: { BootThis: { DevicePath: '\\EFI\\Microsoft\\Boot\\bootmgfw.efi', DeviceType: 'VmbFs' } } },
      ComputeTopology: {
        // EnableHotHint is not compatible with physically backed memory.
        Memory: { SizeInMB: sizing.memoryMb, AllowOvercommit: allowOvercommit, EnableHotHint: allowOvercommit },
        Processor: { Count: sizing.processorCount },
      },
      Devices: {
        Scsi: { '0': { Attachments: { '0': { Path: scratchPath, Type: 'VirtualDisk' } } } },
        HvSocket: { HvSocketConfig: { DefaultBindSecurityDescriptor: HVSOCKET_BIND_SDDL } },
        VirtualSmb: {
          DirectFileMappingInMB: 1024,
          Shares: [{ Name: 'os', Path: path.join(utilityVmPath, 'Files'), Options: osShareOptions }],
        },
      },
      GuestConnection: {},
    },
  };
}

/** The scratch template a base image's UtilityVM folder ships (copied per VM, like hcsshim). */
export function wcowScratchTemplate(utilityVmPath: string): string {
  return path.join(utilityVmPath, 'SystemTemplate.vhdx');
}

/** Controllers keyed by decimal index "0".."3" (HCS-SPEC Part 1), each empty at creation. */
function scsiControllers(count: number): Record<string, { Attachments: Record<string, never> }> {
  const controllers: Record<string, { Attachments: Record<string, never> }> = {};
  for (let i = 0; i < count; i++) controllers[String(i)] = { Attachments: {} };
  return controllers;
}
