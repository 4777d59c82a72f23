/**
 * Turns a ModifySettingRequest into a ModifyPlan, refusing anything HCS would not accept as a
 * document: a malformed envelope, an unknown resource path, a device the UVM's OS does not have,
 * and a guest half that does not match its host half (resource type, request type, the
 * controller/LUN/device number/offset it names; omitted numbers mean 0, as with omitempty).
 */
import type { UvmOs } from '../backend.js';
import { isPlainObject, JsonObject } from './json-fields.js';
import { parseGuestRequest, type ParsedGuestRequest } from './parse-guest.js';
import { parseHostChange, type HostRequestType } from './parse-host.js';
import { parseResourcePath, type ResourceTarget } from './resource-path.js';
import type { GuestChange, HostChange, ModifyPlan } from './request-plan.js';
import { refuse } from './sim-errors.js';

const REQUEST_TYPES: readonly HostRequestType[] = ['Add', 'Remove', 'Update'];

export function parseModifyRequest(doc: unknown, os: UvmOs, uvm: string): ModifyPlan {
  if (!isPlainObject(doc)) {
    throw refuse.invalidJson(`the request to utility VM ${uvm} must be a JSON object`);
  }
  const rawPath = doc['ResourcePath'];
  const context =
    typeof rawPath === 'string' && rawPath !== ''
      ? `the request for ${rawPath} on utility VM ${uvm}`
      : `the guest-only request on utility VM ${uvm}`;
  const envelope = JsonObject.of(doc, 'ModifySettingRequest', context, [
    'ResourcePath',
    'RequestType',
    'Settings',
    'GuestRequest',
  ]);
  const resourcePath = envelope.string('ResourcePath');
  const requestTypeText = envelope.string('RequestType');
  const requestType = REQUEST_TYPES.find((t) => t === requestTypeText);
  if (requestTypeText !== undefined && requestType === undefined) {
    throw refuse.invalidJson(
      `${envelope.path('RequestType')} must be Add, Remove or Update, got "${requestTypeText}"`,
    );
  }
  const guestRaw = envelope.get('GuestRequest');
  const parseGuest = (): ParsedGuestRequest | undefined =>
    guestRaw === undefined ? undefined : parseGuestRequest(guestRaw, os, context);

  if (resourcePath === undefined) {
    const guest = parseGuest();
    if (requestType !== undefined || envelope.has('Settings')) {
      throw refuse.invalidArg(`${context} has RequestType or Settings but no ResourcePath`);
    }
    if (!guest) throw refuse.invalidArg(`${context} is empty: no ResourcePath and no GuestRequest`);
    if (guest.resourceType !== 'CombinedLayers') {
      throw refuse.invalidArg(
        `${context}: a guest-only request must be CombinedLayers; ${guest.resourceType} ` +
          'is sent with the ResourcePath of its device',
      );
    }
    return { guest: guest.change };
  }

  const target = parseResourcePath(resourcePath, uvm);
  checkOsSupports(target, os, resourcePath, uvm);
  if (requestType === undefined) throw envelope.missing('RequestType');
  const host = parseHostChange(
    target,
    requestType,
    envelope.get('Settings'),
    resourcePath,
    context,
  );
  const guest = parseGuest();
  if (!guest) return { requestType, host };
  return { requestType, host, guest: matchGuest(target, requestType, host, guest, context) };
}

function checkOsSupports(
  target: ResourceTarget,
  os: UvmOs,
  resourcePath: string,
  uvm: string,
): void {
  if (target.kind === 'vsmb' && os !== 'windows') {
    throw refuse.invalidArg(
      `${resourcePath}: utility VM ${uvm} is a Linux VM; VSMB shares exist only on Windows utility VMs`,
    );
  }
  if ((target.kind === 'vpmem-device' || target.kind === 'vpmem-mapping') && os !== 'linux') {
    throw refuse.invalidArg(
      `${resourcePath}: utility VM ${uvm} is a Windows VM; vPMEM devices exist only on Linux utility VMs`,
    );
  }
}

/** Checks that the guest half belongs to the host half; fills the mapping size in `host`. */
function matchGuest(
  target: ResourceTarget,
  requestType: HostRequestType,
  host: HostChange,
  guest: ParsedGuestRequest,
  context: string,
): GuestChange {
  const mismatch = (what: string): Error => refuse.invalidArg(`${context}: ${what}`);
  if (target.kind === 'vsmb') throw mismatch('VSMB share requests carry no GuestRequest');
  const expectedType = target.kind === 'scsi' ? 'MappedVirtualDisk' : 'VPMemDevice';
  if (guest.resourceType !== expectedType) {
    throw mismatch(`the GuestRequest must be ${expectedType}, not ${guest.resourceType}`);
  }
  if (guest.requestType !== requestType) {
    throw mismatch(
      `the GuestRequest is a ${guest.requestType} but the host request is a ${requestType}`,
    );
  }
  const change = guest.change;
  if (change.kind === 'disk-mount' || change.kind === 'disk-unmount') {
    if (target.kind !== 'scsi') throw mismatch('unexpected MappedVirtualDisk settings');
    if (change.controller !== target.controller || change.lun !== target.lun) {
      throw mismatch(
        `the GuestRequest names SCSI ${change.controller}:${change.lun} (Controller:Lun; omitted = 0) ` +
          `but the ResourcePath names ${target.controller}:${target.lun}`,
      );
    }
    return change;
  }
  if (change.kind !== 'vpmem-mount' && change.kind !== 'vpmem-unmount') {
    throw mismatch(`unexpected ${guest.resourceType} settings`);
  }
  if (target.kind !== 'vpmem-device' && target.kind !== 'vpmem-mapping') {
    throw mismatch('unexpected VPMemDevice settings');
  }
  if (change.device !== target.device) {
    throw mismatch(
      `the GuestRequest names vPMEM device ${change.device} (DeviceNumber; omitted = 0) ` +
        `but the ResourcePath names device ${target.device}`,
    );
  }
  if (target.kind === 'vpmem-device') {
    if (change.mapping) {
      throw mismatch(
        'MappingInfo belongs to a .../Devices/<n>/Mappings/<offset> request, not to a whole-device request',
      );
    }
    return change;
  }
  if (change.kind === 'vpmem-unmount' && !change.mapping) {
    return { ...change, mapping: { offset: target.offset } };
  }
  if (change.kind === 'vpmem-mount' && !change.mapping) {
    throw mismatch(
      'a mapping Add needs MappingInfo {DeviceOffsetInBytes, DeviceSizeInBytes} in its GuestRequest',
    );
  }
  if (change.mapping && change.mapping.offset !== target.offset) {
    throw mismatch(
      `MappingInfo.DeviceOffsetInBytes ${change.mapping.offset} (omitted = 0) differs from the ` +
        `ResourcePath offset ${target.offset}`,
    );
  }
  if (host.kind === 'mapping-add' && change.kind === 'vpmem-mount' && change.mapping) {
    host.sizeBytes = change.mapping.sizeBytes;
  }
  return change;
}
