/**
 * Device identities used across the UI: the SCSI grid, the device lists, the detail pane and
 * the container rows all name a device by one key string.
 */
import type {
  ContainerLayerView,
  ContainerView,
  LogEntry,
  UvmView,
} from '../../../main/engine/views.js';

/** `scsi:C:L`, `vpmem:N`, `vpmem:N@OFFSET` (a multi-mapped layer) or `vsmb:NAME`. */
export type DeviceKey = string;

export const scsiKey = (controller: number, lun: number): DeviceKey => `scsi:${controller}:${lun}`;
export const vpmemKey = (device: number, offset?: number): DeviceKey =>
  offset === undefined ? `vpmem:${device}` : `vpmem:${device}@${offset}`;
export const vsmbKey = (name: string): DeviceKey => `vsmb:${name}`;

export type ParsedDevice =
  | { kind: 'scsi'; controller: number; lun: number }
  | { kind: 'vpmem'; device: number; offset: number | undefined }
  | { kind: 'vsmb'; name: string };

export function parseDeviceKey(key: DeviceKey): ParsedDevice | undefined {
  const [kind, rest = ''] = [key.slice(0, key.indexOf(':')), key.slice(key.indexOf(':') + 1)];
  if (kind === 'scsi') {
    const [c, l] = rest.split(':').map(Number);
    if (c === undefined || l === undefined || Number.isNaN(c) || Number.isNaN(l)) return undefined;
    return { kind, controller: c, lun: l };
  }
  if (kind === 'vpmem') {
    const [d, o] = rest.split('@');
    const device = Number(d);
    if (Number.isNaN(device)) return undefined;
    return { kind, device, offset: o === undefined ? undefined : Number(o) };
  }
  if (kind === 'vsmb' && rest) return { kind, name: rest };
  return undefined;
}

/** The device key a container's layer holds (the engine records `C:L`, `N`, `N@OFFSET`, share name). */
export function layerDeviceKey(
  layer: Pick<ContainerLayerView, 'kind' | 'device'>,
): DeviceKey | undefined {
  switch (layer.kind) {
    case 'scsi':
      return `scsi:${layer.device}`;
    case 'vpmem':
    case 'mapped':
      return `vpmem:${layer.device}`;
    case 'vsmb':
      return vsmbKey(layer.device);
    case 'host':
      return undefined;
  }
}

export interface Holder {
  guestRoot: string;
  rootfs: string;
  role: 'scratch' | 'layer';
  folder: string;
  index: number;
  released: boolean;
}

function covers(held: DeviceKey | undefined, key: DeviceKey): boolean {
  if (held === undefined) return false;
  // A multi-mapped vPMEM device is held by every container holding one of its mappings.
  return (
    held === key || (key.startsWith('vpmem:') && !key.includes('@') && held.startsWith(`${key}@`))
  );
}

/** The containers holding a device, and as what. */
export function holdersOf(key: DeviceKey, containers: readonly ContainerView[]): Holder[] {
  const holders: Holder[] = [];
  for (const c of containers) {
    if (covers(`scsi:${c.scratch.device}`, key)) {
      holders.push({
        guestRoot: c.guestRoot,
        rootfs: c.rootfs,
        role: 'scratch',
        folder: c.scratch.hostPath,
        index: -1,
        released: c.scratch.released,
      });
    }
    c.layers.forEach((layer, index) => {
      if (covers(layerDeviceKey(layer), key)) {
        holders.push({
          guestRoot: c.guestRoot,
          rootfs: c.rootfs,
          role: 'layer',
          folder: layer.folder,
          index,
          released: layer.released,
        });
      }
    });
  }
  return holders;
}

/** What the detail pane shows about a device, read from the UVM's view. */
export interface DeviceDetail {
  key: DeviceKey;
  title: string;
  hostPath: string | null;
  uvmPath: string | null;
  refCount: number;
  facts: Array<[string, string]>;
}

export function describeDevice(view: UvmView, key: DeviceKey): DeviceDetail | undefined {
  const parsed = parseDeviceKey(key);
  if (!parsed) return undefined;
  if (parsed.kind === 'scsi') {
    const a = view.scsi.find((s) => s.controller === parsed.controller && s.lun === parsed.lun);
    if (a) {
      return {
        key,
        title: `SCSI ${a.controller}:${a.lun} — ${a.readOnly ? 'read-only layer' : 'scratch'}`,
        hostPath: a.hostPath,
        uvmPath: a.uvmPath,
        refCount: a.refCount,
        facts: [['Read-only', a.readOnly ? 'yes' : 'no']],
      };
    }
    const r = view.reserved.find((s) => s.controller === parsed.controller && s.lun === parsed.lun);
    if (r) {
      return {
        key,
        title: `SCSI ${r.controller}:${r.lun} — reserved`,
        hostPath: null,
        uvmPath: null,
        refCount: 0,
        facts: [['Purpose', r.purpose]],
      };
    }
    return undefined;
  }
  if (parsed.kind === 'vpmem') {
    const d = view.vpmem.find((v) => v.device === parsed.device);
    if (!d) return undefined;
    if (parsed.offset !== undefined) {
      const m = d.mappings.find((x) => x.offset === parsed.offset);
      if (!m) return undefined;
      return {
        key,
        title: `vPMEM ${d.device} mapping @ ${m.offset}`,
        hostPath: m.hostPath,
        uvmPath: m.uvmPath,
        refCount: m.refCount,
        facts: [
          ['Offset', String(m.offset)],
          ['Size', formatBytes(m.sizeBytes)],
        ],
      };
    }
    return {
      key,
      title: `vPMEM device ${d.device}`,
      hostPath: d.hostPath,
      uvmPath: d.uvmPath,
      refCount: d.refCount,
      facts: [
        ['Size', formatBytes(d.sizeBytes)],
        ['Mappings', String(d.mappings.length)],
      ],
    };
  }
  const s = view.vsmb.find((v) => v.name === parsed.name);
  if (!s) return undefined;
  const options = Object.entries(s.options)
    .filter(([, on]) => on)
    .map(([name]) => name);
  return {
    key,
    title: `VSMB share ${s.name}`,
    hostPath: s.hostPath,
    uvmPath: s.uvmPath,
    refCount: s.refCount,
    facts: [
      ['Read-only', s.readOnly ? 'yes' : 'no'],
      ['Options', options.join(', ') || 'none'],
    ],
  };
}

function escapedJson(text: string): string {
  return JSON.stringify(text).slice(1, -1);
}

/** Whether an HCS request (a logged ModifySettingRequest) is about this device. */
export function requestTouches(
  entry: LogEntry,
  uvm: string,
  key: DeviceKey,
  hostPath: string | null,
): boolean {
  if (entry.uvm !== uvm) return false;
  const parsed = parseDeviceKey(key);
  if (!parsed) return false;
  const text = JSON.stringify(entry.request ?? null);
  if (hostPath && text.includes(escapedJson(hostPath))) return true;
  if (parsed.kind === 'scsi') {
    if (
      text.includes(`"VirtualMachine/Devices/Scsi/${parsed.controller}/Attachments/${parsed.lun}"`)
    )
      return true;
    return (
      new RegExp(`"Controller":${parsed.controller}[,}]`).test(text) &&
      new RegExp(`"Lun":${parsed.lun}[,}]`).test(text)
    );
  }
  if (parsed.kind === 'vpmem') {
    const base = `VirtualMachine/Devices/VirtualPMem/Devices/${parsed.device}`;
    const exact = parsed.offset === undefined ? `"${base}` : `"${base}/Mappings/${parsed.offset}"`;
    if (
      text.includes(parsed.offset === undefined ? `${exact}"` : exact) ||
      (parsed.offset === undefined && text.includes(`"${base}/`))
    )
      return true;
    return new RegExp(`"DeviceNumber":${parsed.device}[,}]`).test(text);
  }
  return text.includes(`"Name":${JSON.stringify(parsed.name)}`);
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(value >= 10 ? 0 : 1)} ${units[unit]}`;
}
