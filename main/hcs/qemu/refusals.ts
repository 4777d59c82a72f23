/**
 * The qemu backend's refusals, one place for the HRESULT of each. Documents are judged by the
 * simulator's rules first (same document, same answer); what QEMU cannot do although HCS can
 * is E_NOTIMPL with a message saying what to do instead; a UVM whose QEMU died is
 * HCS_E_SYSTEM_NOT_FOUND, as HCS answers for a system that no longer exists.
 */
import { UvmLayersError } from '../../engine/errors.js';
import { HcsError } from '../backend.js';
import { HRESULT } from '../hresult.js';
import type { QmpError } from './qmp-client.js';

export const qemuRefuse = {
  notImplemented: (message: string): HcsError => new HcsError(HRESULT.E_NOTIMPL, message),
  invalidArg: (message: string): HcsError => new HcsError(HRESULT.E_INVALIDARG, message),
  windowsGuest: (id: string): HcsError =>
    new HcsError(
      HRESULT.E_NOTIMPL,
      `cannot create utility VM ${id}: the qemu backend runs Linux utility VMs only (use --os linux, or --backend sim/hcs for Windows)`,
    ),
  multiMapping: (uvm: string, resourcePath: string): HcsError =>
    new HcsError(
      HRESULT.E_NOTIMPL,
      `${resourcePath} on utility VM ${uvm}: multi-mapped vPMEM is not supported by the qemu backend; create the UVM without --vpmem-multi-mapping`,
    ),
  gone: (id: string, pid: number | undefined): HcsError =>
    new HcsError(
      HRESULT.HCS_E_SYSTEM_NOT_FOUND,
      `utility VM ${id} is gone: its QEMU process${pid === undefined ? '' : ` (pid ${pid})`} is no longer running; remove it with \`uvm-layers uvm rm ${id}\``,
    ),
  /** A QMP command QEMU refused, with QEMU's own description. */
  qmp: (what: string, command: string, error: QmpError): HcsError =>
    new HcsError(
      error.class === 'DeviceNotFound' ? HRESULT.ERROR_NOT_FOUND : HRESULT.E_FAIL,
      `${what}: QEMU refused ${command}: ${error.desc}`,
    ),
  /** No root port or no room in the vPMEM address window: the engine falls back to SCSI. */
  noPmemLocation: (message: string): UvmLayersError =>
    new UvmLayersError('NO_AVAILABLE_LOCATION', `no available location: ${message}`),
};

const HRESULT_SUFFIX = / \((?:[A-Z0-9_]+, )?0x[0-9a-f]{8}\)$/;

/**
 * The simulator's refusals name "the simulator" in a few messages (what it models); the same
 * refusal from this backend names the qemu backend instead. Code and HRESULT are unchanged.
 */
export function asQemuRefusal(error: unknown): unknown {
  if (!(error instanceof HcsError) || error.hresult === undefined) return error;
  if (!/simulator/.test(error.message)) return error;
  const message = error.message
    .replace(HRESULT_SUFFIX, '')
    .replace(/is not modelled by the simulator/g, 'is not supported by the qemu backend')
    .replace(/not modelled by the simulator/g, 'not supported by the qemu backend')
    .replace(/the simulator/g, 'the qemu backend');
  return new HcsError(error.hresult, message, error.events);
}
