/** The guest-only CombinedLayers requests that build and tear down a container's root. */
import { compact, type ModifySettingRequest } from '../../hcs/schema.js';
import { UvmLayersError } from '../errors.js';
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
      this.addRequest(root),
      this.removeRequest(root.containerRootPath),
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
      this.removeRequest(containerRootPath),
      this.addRequest(root),
      `Remove combined layers at ${containerRootPath}`,
      `failed guest request to remove combined layers at ${containerRootPath} in utility VM ${this.record.id}`,
    );
    this.record.combined = this.record.combined.filter((c) => c !== root);
  }

  private addRequest(root: CombinedRoot): ModifySettingRequest {
    const wcow = this.record.os === 'windows';
    return compact({
      GuestRequest: {
        ResourceType: 'CombinedLayers',
        RequestType: 'Add',
        Settings: {
          ContainerRootPath: root.containerRootPath,
          Layers: root.layers.map((l) => (wcow ? { Id: l.id, Path: l.path } : { Path: l.path })),
          // The Windows GCS ignores ScratchPath; hcsshim leaves it out for WCOW.
          ScratchPath: wcow ? undefined : root.scratchPath,
        },
      },
    });
  }

  private removeRequest(containerRootPath: string): ModifySettingRequest {
    return compact({
      GuestRequest: {
        ResourceType: 'CombinedLayers',
        RequestType: 'Remove',
        Settings: { ContainerRootPath: containerRootPath },
      },
    });
  }
}
