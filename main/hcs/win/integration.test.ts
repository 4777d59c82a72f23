/**
 * The hcs backend against real HCS: create an LCOW UVM, hot-add two read-only layers (vPMEM)
 * and a scratch (SCSI), combine them in the guest, check, take everything down again. The
 * documents are the seed's (HCS-SPEC §4.4, §5, §9), sent through the backend directly.
 *
 * Runs only on Windows with the Containers and Hyper-V features, as an administrator, with:
 *   UVM_LAYERS_BOOT_FILES   folder with `kernel` (or `vmlinux`) and `initrd.img`
 *   UVM_LAYERS_TEST_LAYERS  two LCOW layer folders, each holding `layer.vhd`, separated by `;`
 *   UVM_LAYERS_TEST_SCRATCH folder holding an ext4 `sandbox.vhdx`
 */
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resourcePaths, type ModifySettingRequest } from '../schema.js';
import type { WindowsHcsBackend } from './backend.js';
import { loadHcsBackend } from './load.js';

const bootFiles = process.env.UVM_LAYERS_BOOT_FILES ?? '';
const layerFolders = (process.env.UVM_LAYERS_TEST_LAYERS ?? '').split(';').filter((p) => p !== '');
const scratchFolder = process.env.UVM_LAYERS_TEST_SCRATCH ?? '';
const configured = bootFiles !== '' && layerFolders.length === 2 && scratchFolder !== '';

const REASON =
  process.platform !== 'win32'
    ? 'skipped: real HCS exists only on Windows (run there with --backend hcs prerequisites, see docs/windows.md)'
    : 'skipped: set UVM_LAYERS_BOOT_FILES, UVM_LAYERS_TEST_LAYERS (two folders, ";"-separated) and UVM_LAYERS_TEST_SCRATCH';

describe.skipIf(process.platform !== 'win32' || !configured)(
  `hcs backend on real HCS (${REASON})`,
  () => {
    const id = `uvm-layers-it-${process.pid}`;
    const guestRoot = '/run/gcs/c/uvml-it';
    const scratchMount = '/run/mounts/m1';
    const sent: ModifySettingRequest[] = [];
    let hcs: WindowsHcsBackend | undefined;

    const modify = async (request: ModifySettingRequest): Promise<void> => {
      sent.push(request);
      await (hcs as WindowsHcsBackend).modify(id, request);
    };

    afterAll(async () => {
      if (hcs === undefined) return;
      await hcs.terminateUtilityVm(id);
      expect((await hcs.enumerate()).some((s) => s.id === id)).toBe(false);
      await hcs.close();
    });

    it('creates and starts an LCOW UVM that HCS lists as ours', async () => {
      hcs = loadHcsBackend({ timeoutMs: 120_000 });
      await hcs.createUtilityVm({
        id,
        os: 'linux',
        vpmemCount: 64,
        vpmemMaxSizeBytes: 4 * 1024 ** 3,
        scsiControllers: 1,
        physicallyBacked: false,
        vpmemMultiMapping: false,
        bootFilesPath: bootFiles,
      });
      await hcs.startUtilityVm(id);
      expect(await hcs.properties(id)).toMatchObject({ Id: id, State: 'Running' });
      expect((await hcs.enumerate()).find((s) => s.id === id)).toMatchObject({
        owner: 'uvm-layers',
        state: 'Running',
      });
    }, 600_000);

    it('mounts two layers and a scratch, combines them, then removes them in reverse', async () => {
      const backend = hcs as WindowsHcsBackend;
      const layerVhds = layerFolders.map((folder) => path.join(folder, 'layer.vhd'));
      const scratchVhd = path.join(scratchFolder, 'sandbox.vhdx');
      // Layers get Noop access in hcsshim (their ACL is set by whoever unpacked them); a test
      // machine's layers may not have it, so grant per VM here. The scratch is granted as always.
      for (const vhd of [...layerVhds, scratchVhd]) await backend.grantVmAccess(id, vhd);

      for (const [device, hostPath] of layerVhds.entries()) {
        await modify({
          ResourcePath: resourcePaths.vpmemDevice(device),
          RequestType: 'Add',
          Settings: { HostPath: hostPath, ReadOnly: true, ImageFormat: 'Vhd1' },
          GuestRequest: {
            ResourceType: 'VPMemDevice',
            RequestType: 'Add',
            Settings: { DeviceNumber: device, MountPath: `/run/layers/p${device}` },
          },
        });
      }
      await modify({
        ResourcePath: resourcePaths.scsi(0, 0),
        RequestType: 'Add',
        Settings: { Path: scratchVhd, Type: 'VirtualDisk' },
        GuestRequest: {
          ResourceType: 'MappedVirtualDisk',
          RequestType: 'Add',
          Settings: { MountPath: scratchMount, Lun: 0, Controller: 0 },
        },
      });
      const rootfs = `${guestRoot}/rootfs`;
      await modify({
        GuestRequest: {
          ResourceType: 'CombinedLayers',
          RequestType: 'Add',
          Settings: {
            ContainerRootPath: rootfs,
            Layers: [{ Path: '/run/layers/p0' }, { Path: '/run/layers/p1' }],
            ScratchPath: scratchMount,
          },
        },
      });
      expect(rootfs).toBe('/run/gcs/c/uvml-it/rootfs');
      // The VM survived the hot-adds (a failed guest mount would have been an HcsError above).
      expect(await backend.properties(id)).toMatchObject({ State: 'Running' });

      await modify({
        GuestRequest: {
          ResourceType: 'CombinedLayers',
          RequestType: 'Remove',
          Settings: { ContainerRootPath: rootfs },
        },
      });
      await modify({
        ResourcePath: resourcePaths.scsi(0, 0),
        RequestType: 'Remove',
        GuestRequest: {
          ResourceType: 'MappedVirtualDisk',
          RequestType: 'Remove',
          Settings: { MountPath: scratchMount, Lun: 0, Controller: 0 },
        },
      });
      for (const device of [1, 0]) {
        await modify({
          ResourcePath: resourcePaths.vpmemDevice(device),
          RequestType: 'Remove',
          GuestRequest: {
            ResourceType: 'VPMemDevice',
            RequestType: 'Remove',
            Settings: { DeviceNumber: device, MountPath: `/run/layers/p${device}` },
          },
        });
      }

      expect(
        sent.map(
          (r) =>
            `${r.RequestType ?? r.GuestRequest?.RequestType} ${r.ResourcePath ?? r.GuestRequest?.ResourceType}`,
        ),
      ).toEqual([
        'Add VirtualMachine/Devices/VirtualPMem/Devices/0',
        'Add VirtualMachine/Devices/VirtualPMem/Devices/1',
        'Add VirtualMachine/Devices/Scsi/0/Attachments/0',
        'Add CombinedLayers',
        'Remove CombinedLayers',
        'Remove VirtualMachine/Devices/Scsi/0/Attachments/0',
        'Remove VirtualMachine/Devices/VirtualPMem/Devices/1',
        'Remove VirtualMachine/Devices/VirtualPMem/Devices/0',
      ]);
      expect(await backend.properties(id)).toMatchObject({ State: 'Running' });
    }, 600_000);
  },
);

/**
 * The same through the engine, as a user runs it: create, mount (rootfs and the request log
 * checked), unmount, remove. The layer VHDs must be readable by the VM group, as hcsshim expects
 * of an unpacked layer (`icacls layer.vhd /grant "NT VIRTUAL MACHINE\Virtual Machines":R`): the
 * engine grants only the scratch, per VM.
 */
describe.skipIf(process.platform !== 'win32' || !configured)(
  `the engine on real HCS (${REASON})`,
  () => {
    it('creates an LCOW UVM, mounts two layers and a scratch, unmounts and deletes it', async () => {
      const { mkdtemp, rm } = await import('node:fs/promises');
      const os = await import('node:os');
      const { openLayerService } = await import('../../engine/service.js');
      const stateDir = await mkdtemp(path.join(os.tmpdir(), 'uvm-layers-hcs-it-'));
      const service = await openLayerService({ stateDir, backend: 'hcs' });
      const id = `uvm-layers-engine-it-${process.pid}`;
      try {
        await service.createUvm({ id, os: 'linux', bootFilesPath: bootFiles });
        const { rootfs } = await service.mount({
          uvm: id,
          guestRoot: '/run/gcs/c/engine-it',
          layers: layerFolders,
          scratch: scratchFolder,
        });
        expect(rootfs).toBe('/run/gcs/c/engine-it/rootfs');
        const view = await service.showUvm(id);
        expect(view.vpmem.map((d) => d.uvmPath)).toEqual(['/run/layers/p0', '/run/layers/p1']);
        expect(view.scsi).toEqual([
          expect.objectContaining({ controller: 0, lun: 0, readOnly: false, refCount: 1 }),
        ]);
        await service.unmount({ uvm: id, guestRoot: '/run/gcs/c/engine-it' });
        const log = await service.log({ uvm: id });
        expect(log.every((e) => e.ok)).toBe(true);
        const counted = log.filter((e) => (e.request as { Op?: string }).Op === undefined);
        expect(counted).toHaveLength(8); // 2 vPMEM + scratch + combine, then their removes
      } finally {
        await service.removeUvm({ id, force: true }).catch(() => undefined);
        await service.close();
        await rm(stateDir, { recursive: true, force: true });
      }
    }, 600_000);
  },
);
