/**
 * The state of the UI scale benchmark: many UVMs, each as full as HCS allows (every SCSI slot of
 * four controllers, 64 vPMEM devices, 128 VSMB shares, 64 mounted containers).
 */
import type { ContainerView, UvmView } from '../../engine/views.js';

export interface ScaleOptions {
  uvms: number;
  scsi: number;
  vpmem: number;
  vsmb: number;
  containers: number;
}

export const ISSUE_SCALE: ScaleOptions = {
  uvms: 64,
  scsi: 256,
  vpmem: 64,
  vsmb: 128,
  containers: 64,
};

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

export function scaleState(options: ScaleOptions = ISSUE_SCALE): {
  uvms: UvmView[];
  containers: ContainerView[];
} {
  const uvms: UvmView[] = [];
  const containers: ContainerView[] = [];
  for (let u = 0; u < options.uvms; u += 1) {
    const id = `uvm-${pad(u)}`;
    const view: UvmView = {
      id,
      os: 'linux',
      state: 'Running',
      options: {
        vpmemCount: 128,
        vpmemMaxSizeBytes: 4 * 1024 ** 3,
        scsiControllers: 4,
        physicallyBacked: false,
        vpmemMultiMapping: false,
      },
      scsi: [],
      vpmem: [],
      vsmb: [],
      combinedLayers: [],
      reserved: [],
    };
    for (let s = 0; s < options.scsi; s += 1) {
      const scratch = s < options.containers;
      view.scsi.push({
        controller: Math.floor(s / 64),
        lun: s % 64,
        hostPath: scratch
          ? `/var/lib/c/${id}/c${pad(s, 3)}/sandbox.vhdx`
          : `/var/lib/layers/big-${pad(s, 3)}/layer.vhd`,
        uvmPath: scratch ? `/run/gcs/c/c${pad(s, 3)}` : `/run/mounts/scsi/m${s}`,
        readOnly: !scratch,
        refCount: scratch ? 1 : 1 + (s % 3),
      });
    }
    for (let d = 0; d < options.vpmem; d += 1) {
      view.vpmem.push({
        device: d,
        hostPath: `/var/lib/layers/l${pad(d, 3)}/layer.vhd`,
        uvmPath: `/run/layers/p${d}`,
        sizeBytes: 50_000_000 + d * 1_000_000,
        refCount: 1 + (d % 4),
        mappings: [],
      });
    }
    for (let v = 0; v < options.vsmb; v += 1) {
      view.vsmb.push({
        name: `s${(v + 1).toString(16)}`,
        hostPath: `C:\\ProgramData\\layers\\w${pad(v, 3)}`,
        uvmPath: `\\\\?\\VMSMB\\VSMB-{dcc079ae-60ba-4d07-847c-3493609c0870}\\s${(v + 1).toString(16)}`,
        readOnly: true,
        refCount: 1 + (v % 2),
        options: {
          ReadOnly: true,
          CacheIo: true,
          ShareRead: true,
          PseudoOplocks: true,
          TakeBackupPrivilege: true,
        },
      });
    }
    for (let c = 0; c < options.containers; c += 1) {
      const root = `/run/gcs/c/c${pad(c, 3)}`;
      const layers = [0, 1, 2].map((k) => (c + k * 7) % Math.max(1, options.vpmem));
      view.combinedLayers.push({
        containerRootPath: `${root}/rootfs`,
        layers: layers.map((d) => `/run/layers/p${d}`),
        scratchPath: root,
      });
      containers.push({
        uvm: id,
        guestRoot: root,
        rootfs: `${root}/rootfs`,
        scratch: {
          hostPath: `/var/lib/c/${id}/c${pad(c, 3)}/sandbox.vhdx`,
          device: `${Math.floor(c / 64)}:${c % 64}`,
          released: false,
        },
        layers: layers.map((d) => ({
          folder: `/var/lib/layers/l${pad(d, 3)}`,
          kind: 'vpmem' as const,
          device: String(d),
          uvmPath: `/run/layers/p${d}`,
          released: false,
        })),
      });
    }
    uvms.push(view);
  }
  return { uvms, containers };
}
