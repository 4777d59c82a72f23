/**
 * Parses the host half (`RequestType` + `Settings`) of a document for the device its
 * ResourcePath names: SCSI `Attachment`, `VirtualPMemDevice`, `VirtualPMemMapping` or
 * `VirtualSmbShare`, with the request types HCS allows on each.
 */
import {
  VSMB_OPTION_NAMES,
  type AttachmentType,
  type ImageFormat,
  type VirtualSmbShareOptions,
} from '../schema.js';
import { JsonObject } from './json-fields.js';
import type { ResourceTarget } from './resource-path.js';
import type { HostChange } from './request-plan.js';
import { refuse } from './sim-errors.js';

export type HostRequestType = 'Add' | 'Remove' | 'Update';

const ATTACHMENT_TYPES: readonly AttachmentType[] = ['VirtualDisk', 'PassThru', 'Iso'];
const IMAGE_FORMATS: readonly ImageFormat[] = ['Vhd1', 'Vhdx'];
const CACHING_MODES = ['Uncached', 'Cached', 'ReadOnlyCached'];
/** Boolean Attachment fields of the HCS schema that do not change what the sim models. */
const ATTACHMENT_FLAGS = [
  'IgnoreFlushes',
  'NoWriteHardening',
  'DisableExpansionOptimization',
  'IgnoreRelativeLocator',
  'CaptureIoAttributionContext',
  'SupportCompressedVolumes',
  'AlwaysAllowSparseFiles',
];

/**
 * The host change of a document. `settings` is the raw `Settings` value (undefined when absent);
 * `resourcePath` and `context` name the request in messages.
 */
export function parseHostChange(
  target: ResourceTarget,
  requestType: HostRequestType,
  settings: unknown,
  resourcePath: string,
  context: string,
): HostChange {
  const updateNotAllowed = (): Error =>
    refuse.invalidArg(`RequestType Update is not allowed on ${resourcePath} (${context})`);
  const noSettings = (): void => {
    if (settings !== undefined && settings !== null) {
      throw refuse.invalidArg(`a ${requestType} of ${resourcePath} takes no Settings (${context})`);
    }
  };
  switch (target.kind) {
    case 'scsi': {
      const { controller, lun } = target;
      if (requestType === 'Update') throw updateNotAllowed();
      if (requestType === 'Remove') {
        noSettings();
        return { kind: 'scsi-remove', controller, lun };
      }
      const s = requireSettings(
        settings,
        'Settings',
        context,
        ['Type', 'Path', 'ReadOnly', 'CachingMode', ...ATTACHMENT_FLAGS],
        'Attachment',
      );
      const type = enumField(s, 'Type', ATTACHMENT_TYPES);
      if (type === undefined) throw s.missing('Type');
      if (type === 'PassThru') {
        throw refuse.invalidArg(
          `${s.path('Type')}: PassThru (physical disk) attachments are not modelled by the simulator`,
        );
      }
      enumField(s, 'CachingMode', CACHING_MODES);
      for (const flag of ATTACHMENT_FLAGS) s.bool(flag);
      return {
        kind: 'scsi-add',
        controller,
        lun,
        path: s.requiredString('Path'),
        type,
        readOnly: s.bool('ReadOnly') ?? false,
      };
    }
    case 'vpmem-device': {
      if (requestType === 'Update') throw updateNotAllowed();
      if (requestType === 'Remove') {
        noSettings();
        return { kind: 'vpmem-remove', device: target.device };
      }
      const s = requireSettings(
        settings,
        'Settings',
        context,
        ['HostPath', 'ReadOnly', 'ImageFormat'],
        'VirtualPMemDevice',
      );
      const imageFormat = enumField(s, 'ImageFormat', IMAGE_FORMATS);
      return {
        kind: 'vpmem-add',
        device: target.device,
        hostPath: s.requiredString('HostPath'),
        readOnly: s.bool('ReadOnly') ?? false,
        ...(imageFormat === undefined ? {} : { imageFormat }),
      };
    }
    case 'vpmem-mapping': {
      const { device, offset } = target;
      if (requestType === 'Update') throw updateNotAllowed();
      if (requestType === 'Remove') {
        noSettings();
        return { kind: 'mapping-remove', device, offset };
      }
      const s = requireSettings(
        settings,
        'Settings',
        context,
        ['HostPath', 'ImageFormat'],
        'VirtualPMemMapping',
      );
      const imageFormat = enumField(s, 'ImageFormat', IMAGE_FORMATS);
      return {
        kind: 'mapping-add',
        device,
        offset,
        hostPath: s.requiredString('HostPath'),
        ...(imageFormat === undefined ? {} : { imageFormat }),
      };
    }
    case 'vsmb': {
      const s = requireSettings(
        settings,
        'Settings',
        context,
        ['Name', 'Path', 'AllowedFiles', 'Options'],
        'VirtualSmbShare',
      );
      const name = s.requiredString('Name');
      if (/[\\/]/.test(name)) {
        throw refuse.invalidArg(`${s.path('Name')} "${name}" must not contain a path separator`);
      }
      const allowedFiles = s.stringArray('AllowedFiles') ?? [];
      const options = parseShareOptions(s);
      if (requestType === 'Remove') return { kind: 'vsmb-remove', name };
      const kind = requestType === 'Add' ? 'vsmb-add' : 'vsmb-update';
      return { kind, name, path: s.requiredString('Path'), options, allowedFiles };
    }
  }
}

function requireSettings(
  settings: unknown,
  section: string,
  context: string,
  allowed: readonly string[],
  typeName: string,
): JsonObject {
  if (settings === undefined || settings === null) {
    throw refuse.invalidArg(`${section} (${typeName}) is required in ${context}`);
  }
  return JsonObject.of(settings, section, context, allowed, typeName);
}

/** A string field restricted to an enum: an unknown value is a schema (JSON) error. */
function enumField<T extends string>(
  s: JsonObject,
  key: string,
  values: readonly T[],
): T | undefined {
  const value = s.string(key);
  if (value === undefined) return undefined;
  const match = values.find((v) => v === value);
  if (match === undefined) {
    throw refuse.invalidJson(`${s.path(key)} must be one of ${values.join(', ')}, got "${value}"`);
  }
  return match;
}

function parseShareOptions(s: JsonObject): VirtualSmbShareOptions {
  const o = s.child('Options', VSMB_OPTION_NAMES, 'VirtualSmbShareOptions');
  const options: VirtualSmbShareOptions = {};
  if (!o) return options;
  for (const name of VSMB_OPTION_NAMES) {
    if (o.bool(name) === true) options[name] = true;
  }
  return options;
}
