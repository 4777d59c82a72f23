/** Test fixtures: real layer and scratch folders in a temp dir, and a recording request sender. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HcsError } from '../../hcs/backend.js';
import { HRESULT } from '../../hcs/hresult.js';
import type { ModifySettingRequest } from '../../hcs/schema.js';
import { UvmLayersError } from '../errors.js';
import type { RequestSender } from '../uvm/request-sender.js';

export function tempDir(prefix = 'uvm-layers-test-'): string {
  return fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
}

/** `<root>/<name>/layer.vhd` of `size` bytes (sparse), plus an empty folder for WCOW use. */
export function makeLayer(root: string, name: string, size = 4096): string {
  const folder = path.join(root, name);
  fs.mkdirSync(folder, { recursive: true });
  const fd = fs.openSync(path.join(folder, 'layer.vhd'), 'w');
  fs.ftruncateSync(fd, size);
  fs.closeSync(fd);
  return folder;
}

/** `<root>/<name>/sandbox.vhdx`, or a symlink to another scratch's (a shared scratch). */
export function makeScratch(root: string, name: string, shareWith?: string): string {
  const folder = path.join(root, name);
  fs.mkdirSync(folder, { recursive: true });
  const file = path.join(folder, 'sandbox.vhdx');
  if (shareWith) fs.symlinkSync(path.join(shareWith, 'sandbox.vhdx'), file);
  else fs.writeFileSync(file, 'scratch');
  return folder;
}

/** Records every request; fails the `failAt`-th ones (1-based) like HCS would. */
export class RecordingSender implements RequestSender {
  readonly requests: ModifySettingRequest[] = [];
  readonly grants: string[] = [];
  private count = 0;
  private failing: number[];

  constructor(failAt: number | number[] = 0) {
    this.failing = [failAt].flat();
  }

  /** Forgets what was sent so far; `failAt` counts from here. */
  reset(failAt: number | number[] = 0): void {
    this.requests.length = 0;
    this.count = 0;
    this.failing = [failAt].flat();
  }

  modify(request: ModifySettingRequest): Promise<void> {
    if (this.failing.includes(++this.count)) {
      return Promise.reject(
        new HcsError(HRESULT.E_FAIL, `injected failure of request ${this.count}`),
      );
    }
    this.requests.push(request);
    return Promise.resolve();
  }

  grantVmAccess(hostPath: string): Promise<void> {
    this.grants.push(hostPath);
    return Promise.resolve();
  }
}

export function expectCode(error: unknown): string {
  return error instanceof UvmLayersError ? error.code : `not a UvmLayersError: ${String(error)}`;
}
