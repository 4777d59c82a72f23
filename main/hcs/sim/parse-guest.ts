/**
 * Parses the guest half (`GuestRequest`) of a document into a GuestChange: the envelope, the
 * resource type, and the settings type the guest OS expects (LCOW or WCOW mapped disk,
 * LCOW vPMEM device, combined layers).
 */
import type { UvmOs } from '../backend.js';
import { guestPathRule, normaliseGuestPath } from './guest-paths.js';
import { INT32_MAX, JsonObject, UINT32_MAX, UINT8_MAX } from './json-fields.js';
import type { GuestChange, GuestLayerRef } from './request-plan.js';
import { refuse } from './sim-errors.js';
import { isUuid } from './uuid-v5.js';

/** Guest resource types the GCS knows (seed + HEAD); only three are modelled by the sim. */
const KNOWN_RESOURCE_TYPES = [
  'MappedDirectory',
  'MappedVirtualDisk',
  'Network',
  'NetworkNamespace',
  'CombinedLayers',
  'VPMemDevice',
  'VPCIDevice',
  'HvSocket',
  'SCSIDevice',
  'MappedVirtualDiskForContainerScratch',
  'WCOWBlockCims',
  'CWCOWCombinedLayers',
  'ContainerConstraints',
  'SecurityPolicy',
  'SecurityPolicyFragment',
  'PodCgroupMemoryLimit',
];
const KNOWN_REQUEST_TYPES = ['Add', 'Remove', 'Update', 'PreAdd'];

export type GuestResourceKind = 'MappedVirtualDisk' | 'VPMemDevice' | 'CombinedLayers';

export interface ParsedGuestRequest {
  requestType: 'Add' | 'Remove';
  resourceType: GuestResourceKind;
  change: GuestChange;
}

const UINT64_MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** Parses `GuestRequest` for a UVM of `os`; `context` names the request in messages. */
export function parseGuestRequest(raw: unknown, os: UvmOs, context: string): ParsedGuestRequest {
  const envelope = JsonObject.of(raw, 'GuestRequest', context, [
    'RequestType',
    'ResourceType',
    'Settings',
  ]);
  const resourceType = envelope.requiredString('ResourceType');
  const requestType = envelope.requiredString('RequestType');
  if (!KNOWN_RESOURCE_TYPES.includes(resourceType)) {
    throw refuse.invalidArg(`unknown guest ResourceType "${resourceType}" in ${context}`);
  }
  if (!KNOWN_REQUEST_TYPES.includes(requestType)) {
    throw refuse.invalidArg(`unknown guest RequestType "${requestType}" in ${context}`);
  }
  if (
    resourceType !== 'MappedVirtualDisk' &&
    resourceType !== 'VPMemDevice' &&
    resourceType !== 'CombinedLayers'
  ) {
    throw refuse.invalidArg(
      `guest ResourceType "${resourceType}" in ${context} is not modelled by the simulator ` +
        '(it accepts MappedVirtualDisk, VPMemDevice and CombinedLayers)',
    );
  }
  if (requestType !== 'Add' && requestType !== 'Remove') {
    throw refuse.invalidArg(
      `guest RequestType "${requestType}" is not valid for ${resourceType} in ${context} (Add or Remove)`,
    );
  }
  if (!envelope.has('Settings')) throw envelope.missing('Settings');
  const settings = envelope.get('Settings');
  const parse = {
    MappedVirtualDisk: parseMappedDisk,
    VPMemDevice: parseVpmem,
    CombinedLayers: parseCombined,
  }[resourceType];
  return { requestType, resourceType, change: parse(settings, requestType, os, context) };
}

type SettingsParser = (
  raw: unknown,
  requestType: 'Add' | 'Remove',
  os: UvmOs,
  context: string,
) => GuestChange;

const parseMappedDisk: SettingsParser = (raw, requestType, os, context) => {
  if (os === 'windows') {
    const s = JsonObject.of(
      raw,
      'GuestRequest.Settings',
      context,
      ['ContainerPath', 'Lun'],
      'WCOWMappedVirtualDisk',
    );
    const lun = s.uint('Lun', INT32_MAX) ?? 0;
    const path = guestPath(s, 'ContainerPath', os, requestType === 'Add');
    return requestType === 'Add'
      ? { kind: 'disk-mount', controller: 0, lun, mountPath: path ?? '', readOnly: undefined }
      : {
          kind: 'disk-unmount',
          controller: 0,
          lun,
          ...(path === undefined ? {} : { mountPath: path }),
        };
  }
  const s = JsonObject.of(
    raw,
    'GuestRequest.Settings',
    context,
    ['MountPath', 'Lun', 'Controller', 'ReadOnly', 'Options'],
    'LCOWMappedVirtualDisk',
  );
  const lun = s.uint('Lun', UINT8_MAX) ?? 0;
  const controller = s.uint('Controller', UINT8_MAX) ?? 0;
  const options = s.stringArray('Options') ?? [];
  const readOnly = (s.bool('ReadOnly') ?? false) || options.includes('ro');
  const path = guestPath(s, 'MountPath', os, requestType === 'Add');
  return requestType === 'Add'
    ? { kind: 'disk-mount', controller, lun, mountPath: path ?? '', readOnly }
    : { kind: 'disk-unmount', controller, lun, ...(path === undefined ? {} : { mountPath: path }) };
};

const parseVpmem: SettingsParser = (raw, requestType, os, context) => {
  const s = JsonObject.of(
    raw,
    'GuestRequest.Settings',
    context,
    ['DeviceNumber', 'MountPath', 'MappingInfo'],
    'LCOWMappedVPMemDevice',
  );
  const device = s.uint('DeviceNumber', UINT32_MAX) ?? 0;
  const mountPath = guestPath(s, 'MountPath', os, true) ?? '';
  const info = s.child(
    'MappingInfo',
    ['DeviceOffsetInBytes', 'DeviceSizeInBytes'],
    'LCOWVPMemMappingInfo',
  );
  const offset = info?.uint('DeviceOffsetInBytes', UINT64_MAX_SAFE) ?? 0;
  const sizeBytes = info?.uint('DeviceSizeInBytes', UINT64_MAX_SAFE);
  if (requestType === 'Add') {
    if (info && sizeBytes === undefined) throw info.missing('DeviceSizeInBytes');
    return {
      kind: 'vpmem-mount',
      device,
      mountPath,
      ...(info && sizeBytes !== undefined ? { mapping: { offset, sizeBytes } } : {}),
    };
  }
  return {
    kind: 'vpmem-unmount',
    device,
    mountPath,
    ...(info ? { mapping: { offset, ...(sizeBytes === undefined ? {} : { sizeBytes }) } } : {}),
  };
};

const parseCombined: SettingsParser = (raw, requestType, os, context) => {
  const s = JsonObject.of(
    raw,
    'GuestRequest.Settings',
    context,
    ['ContainerRootPath', 'Layers', 'ScratchPath'],
    'CombinedLayers',
  );
  const root = guestPath(s, 'ContainerRootPath', os, true) ?? '';
  if (requestType === 'Remove') return { kind: 'uncombine', root };
  const rawLayers = s.array('Layers') ?? [];
  if (rawLayers.length === 0) {
    throw refuse.invalidArg(`${s.path('Layers')} must list at least one layer`);
  }
  const layers = rawLayers.map((layer, index) => parseLayer(layer, index, os, s));
  if (os === 'windows') {
    // The Windows GCS ignores ScratchPath; accept any string there.
    s.string('ScratchPath');
    return { kind: 'combine', root, layers };
  }
  // Required for LCOW, but refused by the combine handler so the message names the root.
  const scratchPath = guestPath(s, 'ScratchPath', os, false);
  return { kind: 'combine', root, layers, ...(scratchPath === undefined ? {} : { scratchPath }) };
};

function parseLayer(raw: unknown, index: number, os: UvmOs, parent: JsonObject): GuestLayerRef {
  const layer = JsonObject.of(raw, `${parent.section}.Layers[${index}]`, parent.context, [
    'Id',
    'Path',
    'PathType',
    'Cache',
  ]);
  layer.string('PathType');
  layer.string('Cache');
  const id = layer.string('Id');
  if (id === undefined && os === 'windows') throw layer.missing('Id');
  if (id !== undefined && !isUuid(id)) {
    throw refuse.invalidArg(`${layer.path('Id')} must be a GUID, got "${id}"`);
  }
  const rawPath = layer.requiredString('Path');
  // WCOW layers are VSMB UNC paths, checked against the shares by the combine handler.
  const path = os === 'linux' ? (guestPath(layer, 'Path', os, true) ?? rawPath) : rawPath;
  return { path, ...(id === undefined ? {} : { id }) };
}

/** A guest path field, normalised; E_INVALIDARG when required and absent or not a valid path. */
function guestPath(s: JsonObject, key: string, os: UvmOs, required: boolean): string | undefined {
  const value = s.string(key);
  if (value === undefined) {
    if (required) throw s.missing(key);
    return undefined;
  }
  const normalised = normaliseGuestPath(os, value);
  if (normalised === undefined) {
    throw refuse.invalidArg(`${s.path(key)} must be ${guestPathRule(os)}, got "${value}"`);
  }
  return normalised;
}
