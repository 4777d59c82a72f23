/**
 * Parses a ModifySettingRequest ResourcePath. Exactly the formats hcsshim writes (HCS-SPEC §3,
 * controller key = decimal index) are recognised; numbers are plain decimals without leading
 * zeros. Other real HCS paths (Plan9, pipes, network...) are not modelled and are refused.
 */
import { refuse } from './sim-errors.js';

export type ResourceTarget =
  | { kind: 'scsi'; controller: number; lun: number }
  | { kind: 'vpmem-device'; device: number }
  | { kind: 'vpmem-mapping'; device: number; offset: number }
  | { kind: 'vsmb' };

const DECIMAL = '(0|[1-9][0-9]*)';
const SCSI = new RegExp(`^VirtualMachine/Devices/Scsi/${DECIMAL}/Attachments/${DECIMAL}$`);
const VPMEM_DEVICE = new RegExp(`^VirtualMachine/Devices/VirtualPMem/Devices/${DECIMAL}$`);
const VPMEM_MAPPING = new RegExp(
  `^VirtualMachine/Devices/VirtualPMem/Devices/${DECIMAL}/Mappings/${DECIMAL}$`,
);
const VSMB = 'VirtualMachine/Devices/VirtualSmb/Shares';

/** The target a resource path names, or E_INVALIDARG naming the path and the UVM. */
export function parseResourcePath(resourcePath: string, uvm: string): ResourceTarget {
  const scsi = SCSI.exec(resourcePath);
  if (scsi) return { kind: 'scsi', controller: toInt(scsi[1]), lun: toInt(scsi[2]) };
  const mapping = VPMEM_MAPPING.exec(resourcePath);
  if (mapping) {
    return { kind: 'vpmem-mapping', device: toInt(mapping[1]), offset: toInt(mapping[2]) };
  }
  const device = VPMEM_DEVICE.exec(resourcePath);
  if (device) return { kind: 'vpmem-device', device: toInt(device[1]) };
  if (resourcePath === VSMB) return { kind: 'vsmb' };
  throw refuse.invalidArg(
    `unknown ResourcePath "${resourcePath}" for utility VM ${uvm}: the simulator accepts ` +
      'VirtualMachine/Devices/Scsi/<controller>/Attachments/<lun>, ' +
      'VirtualMachine/Devices/VirtualPMem/Devices/<n>[/Mappings/<offset>] and ' +
      `${VSMB}`,
  );
}

function toInt(digits: string | undefined): number {
  const value = Number(digits);
  // The patterns guarantee digits; a huge number is still refused by the limit checks.
  return Number.isSafeInteger(value) ? value : Number.MAX_SAFE_INTEGER;
}
