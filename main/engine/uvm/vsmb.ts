/**
 * VSMB shares of a WCOW UVM: named "s" + a hex counter from s1, keyed by the cleaned folder
 * path and read-only, ref-counted, removed when the count reaches zero (seed behaviour).
 */
import { compact, type VirtualSmbShareOptions } from '../../hcs/schema.js';
import { UvmLayersError } from '../errors.js';
import { vsmbAdd, vsmbRemove } from './documents.js';
import { guestPaths, vsmbShareName } from '../paths.js';
import type { UvmRecord, VsmbShare } from './record.js';
import { dropReference } from './ref-count.js';
import { sendModify, type RequestSender } from './request-sender.js';

/** hcsshim's DefaultVSMBOptions(readOnly); layers add TakeBackupPrivilege. */
export function defaultVsmbOptions(
  readOnly: boolean,
  physicallyBacked: boolean,
): VirtualSmbShareOptions {
  const options: VirtualSmbShareOptions = { NoDirectmap: physicallyBacked };
  if (readOnly) {
    options.ShareRead = true;
    options.CacheIo = true;
    options.ReadOnly = true;
    options.PseudoOplocks = true;
  }
  return options;
}

export class VsmbManager {
  constructor(
    private readonly record: UvmRecord,
    private readonly sender: RequestSender,
  ) {}

  async add(
    hostPath: string,
    readOnly: boolean,
    options: VirtualSmbShareOptions,
  ): Promise<VsmbShare> {
    if (this.record.os !== 'windows') {
      throw new UvmLayersError(
        'NOT_SUPPORTED',
        `VSMB shares are not supported on Linux utility VM ${this.record.id}`,
      );
    }
    const existing = this.record.vsmb.find(
      (s) => s.hostPath === hostPath && s.readOnly === readOnly,
    );
    if (existing) {
      // An unrestricted directory share needs no Update: HCS would refuse one.
      existing.refCount++;
      return existing;
    }
    // The counter is consumed even when the add fails: names are never reused.
    const name = vsmbShareName(++this.record.counters.vsmb);
    const share: VsmbShare = {
      name,
      hostPath,
      readOnly,
      uvmPath: guestPaths.vsmbShare(name),
      options: compact(options),
      refCount: 1,
    };
    await sendModify(
      this.sender,
      vsmbAdd(share),
      vsmbRemove(share),
      `Add VSMB share ${name}: ${hostPath} → ${share.uvmPath}`,
      `failed to add VSMB share ${name} (${hostPath}) to utility VM ${this.record.id}`,
    );
    this.record.vsmb.push(share);
    return share;
  }

  async release(name: string): Promise<void> {
    const share = this.record.vsmb.find((s) => s.name === name);
    if (!share) {
      throw new UvmLayersError(
        'NOT_ATTACHED',
        `${name} is not present as a VSMB share in utility VM ${this.record.id}, cannot remove`,
      );
    }
    await dropReference(
      share,
      () =>
        sendModify(
          this.sender,
          vsmbRemove(share),
          vsmbAdd(share),
          `Remove VSMB share ${name}: ${share.hostPath}`,
          `failed to remove VSMB share ${name} (${share.hostPath}) from utility VM ${this.record.id} (it stays with ref count 1)`,
        ),
      () => (this.record.vsmb = this.record.vsmb.filter((s) => s !== share)),
    );
  }
}
