/** Turns a UVM's record into the JSON views of DESIGN.md (`uvm show`, `uvm list`, `containers`). */
import type { ContainerView, UvmSummary, UvmView, VsmbView } from '../views.js';
import type { ContainerRecord, UvmRecord } from './record.js';

export function toUvmView(r: UvmRecord): UvmView {
  return {
    id: r.id,
    os: r.os,
    state: r.state,
    options: { ...r.options },
    scsi: r.scsi.map((a) => ({
      controller: a.controller,
      lun: a.lun,
      hostPath: a.hostPath,
      uvmPath: a.uvmPath,
      readOnly: a.readOnly,
      refCount: a.refCount,
    })),
    vpmem: r.options.vpmemMultiMapping
      ? r.vpmemMapped.map((d) => ({
          device: d.device,
          hostPath: null,
          uvmPath: null,
          sizeBytes: 4 * 1024 ** 3,
          refCount: d.mappings.reduce((sum, m) => sum + m.refCount, 0),
          mappings: d.mappings.map((m) => ({ ...m })),
        }))
      : r.vpmem.map((d) => ({ ...d, mappings: [] })),
    vsmb: [...r.vsmb]
      .sort((a, b) => Number.parseInt(a.name.slice(1), 16) - Number.parseInt(b.name.slice(1), 16))
      .map((s): VsmbView => ({
        name: s.name,
        hostPath: s.hostPath,
        uvmPath: s.uvmPath,
        readOnly: s.readOnly,
        refCount: s.refCount,
        options: { ...(s.options as Record<string, boolean>) },
      })),
    combinedLayers: r.combined.map((c) => ({
      containerRootPath: c.containerRootPath,
      layers: c.layers.map((l) => l.path),
      scratchPath: r.os === 'windows' ? c.containerRootPath : c.scratchPath,
    })),
    reserved: r.reserved.map((x) => ({ ...x })),
  };
}

export function toUvmSummary(r: UvmRecord): UvmSummary {
  return {
    id: r.id,
    os: r.os,
    state: r.state,
    scsi: r.scsi.length,
    vpmem: r.options.vpmemMultiMapping
      ? r.vpmemMapped.reduce((sum, d) => sum + d.mappings.length, 0)
      : r.vpmem.length,
    vsmb: r.vsmb.length,
    containers: r.containers.length,
  };
}

export function toContainerView(uvm: string | null, c: ContainerRecord): ContainerView {
  return {
    uvm,
    guestRoot: c.guestRoot,
    rootfs: c.rootfs,
    scratch: {
      hostPath: c.scratch.hostPath,
      device: c.scratch.device,
      released: c.scratch.released,
    },
    layers: c.layers.map((l) => ({
      folder: l.folder,
      kind: l.kind,
      device: l.device,
      uvmPath: l.uvmPath,
      released: l.released,
    })),
  };
}
