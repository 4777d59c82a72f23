/** The guest-only CombinedLayers requests that build and tear down a container's root. */
import { UvmLayersError } from '../errors.js';
import { combineAdd, combineRemove } from './documents.js';
import type { CombinedRoot, UvmRecord } from './record.js';
import { sendModify, type RequestSender } from './request-sender.js';

export class CombinedLayersManager {
  constructor(
    private readonly record: UvmRecord,
    private readonly sender: RequestSender,
  ) {}

  async add(root: CombinedRoot): Promise<void> {
    await sendModify(
      this.sender,
      combineAdd(this.record.os, root),
      combineRemove(root.containerRootPath),
      `Combine ${root.layers.length} layers at ${root.containerRootPath}`,
      `failed to combine layers at ${root.containerRootPath} in utility VM ${this.record.id}`,
    );
    this.record.combined.push(root);
    this.record.combined.sort((a, b) => a.containerRootPath.localeCompare(b.containerRootPath));
  }

  async remove(containerRootPath: string): Promise<void> {
    const root = this.record.combined.find((c) => c.containerRootPath === containerRootPath);
    if (!root) {
      throw new UvmLayersError(
        'NOT_ATTACHED',
        `no combined layers at ${containerRootPath} in utility VM ${this.record.id}`,
      );
    }
    await sendModify(
      this.sender,
      combineRemove(containerRootPath),
      combineAdd(this.record.os, root),
      `Remove combined layers at ${containerRootPath}`,
      `failed guest request to remove combined layers at ${containerRootPath} in utility VM ${this.record.id}`,
    );
    this.record.combined = this.record.combined.filter((c) => c !== root);
  }
}
