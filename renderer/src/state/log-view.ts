/** How the request log is summarised, classified, filtered and exported. */
import type { LogEntry } from '../../../main/engine/views.js';

export const RESOURCES = [
  'SCSI',
  'vPMEM',
  'VSMB',
  'Plan9',
  'Combined layers',
  'Lifecycle',
  'Host layers',
  'Other',
] as const;
export type Resource = (typeof RESOURCES)[number];

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined =>
  typeof v === 'object' && v !== null ? (v as Json) : undefined;

/** A one-line summary of a logged request: its type and resource. */
export function summarize(request: unknown): string {
  const r = obj(request);
  if (!r) return String(request);
  if (typeof r.Op === 'string') return r.Op;
  const guest = obj(r.GuestRequest);
  const type =
    typeof r.RequestType === 'string'
      ? r.RequestType
      : typeof guest?.RequestType === 'string'
        ? guest.RequestType
        : '';
  const resource =
    typeof r.ResourcePath === 'string'
      ? r.ResourcePath
      : typeof guest?.ResourceType === 'string'
        ? `guest ${guest.ResourceType}`
        : 'request';
  return `${type} ${resource}`.trim();
}

const LIFECYCLE = new Set([
  'CreateComputeSystem',
  'StartComputeSystem',
  'TerminateComputeSystem',
  'ShutdownComputeSystem',
  'GrantVmAccess',
]);

/** Which kind of resource a request is about, for the log's resource filter. */
export function resourceOf(entry: LogEntry): Resource {
  const r = obj(entry.request);
  if (!r) return 'Other';
  if (typeof r.Op === 'string')
    return LIFECYCLE.has(r.Op) || entry.uvm !== null ? 'Lifecycle' : 'Host layers';
  const path = typeof r.ResourcePath === 'string' ? r.ResourcePath : '';
  const rawType = obj(r.GuestRequest)?.ResourceType;
  const guestType = typeof rawType === 'string' ? rawType : '';
  if (
    path.includes('/Scsi/') ||
    guestType === 'MappedVirtualDisk' ||
    guestType === 'MappedVirtualDiskForContainerScratch'
  )
    return 'SCSI';
  if (path.includes('/VirtualPMem/') || guestType.startsWith('VPMem')) return 'vPMEM';
  if (path.includes('/VirtualSmb/') || guestType === 'MappedDirectory')
    return path.includes('/Plan9/') ? 'Plan9' : 'VSMB';
  if (path.includes('/Plan9/')) return 'Plan9';
  if (guestType === 'CombinedLayers') return 'Combined layers';
  return 'Other';
}

export interface LogFilterSpec {
  /** '' = every UVM; '(host)' = host mounts. */
  uvm: string;
  /** '' = every resource. */
  resource: string;
  result: 'all' | 'ok' | 'failed';
}

export const HOST_FILTER = '(host)';

export function matchesFilter(entry: LogEntry, filter: LogFilterSpec): boolean {
  if (
    filter.uvm === HOST_FILTER ? entry.uvm !== null : filter.uvm !== '' && entry.uvm !== filter.uvm
  )
    return false;
  if (filter.result === 'ok' && !entry.ok) return false;
  if (filter.result === 'failed' && entry.ok) return false;
  if (filter.resource !== '' && resourceOf(entry) !== filter.resource) return false;
  return true;
}

/** The exported file: the shown entries as JSON lines, the format `uvm-layers log` prints. */
export function exportLines(entries: readonly LogEntry[]): string {
  return entries.map((e) => JSON.stringify(e)).join('\n') + (entries.length > 0 ? '\n' : '');
}
