/**
 * VSMB shares of a Windows UVM: unique names, an existing host directory (or a single file for
 * restricted shares), Update only on RestrictFileAccess shares (HCS refuses it on the others),
 * and no removal while a combined container root still uses the share as a layer.
 */
import type { ApplyContext } from './apply-context.js';
import { combinedUsersOfShare, findShareName } from './guest-usage.js';
import type { HostChange } from './request-plan.js';
import { refuse } from './sim-errors.js';

type ShareAdd = Extract<HostChange, { kind: 'vsmb-add' | 'vsmb-update' }>;
type ShareRemove = Extract<HostChange, { kind: 'vsmb-remove' }>;

export function addVsmbShare({ state, files }: ApplyContext, change: ShareAdd): void {
  const name = `VSMB share ${change.name} on utility VM ${state.id}`;
  const existingName = findShareName(state, change.name);
  if (existingName !== undefined) {
    const existing = state.vsmb[existingName];
    throw refuse.alreadyExists(`${name} already exists (${existing?.path ?? '?'})`);
  }
  const restricted =
    change.options.RestrictFileAccess === true || change.options.SingleFileMapping === true;
  const describe = `cannot add ${name} for ${change.path}`;
  const entry = files.entry(change.path, describe);
  if (!entry.isDirectory && !restricted) {
    throw refuse.invalidArg(
      `${describe}: the path is a file; only RestrictFileAccess or SingleFileMapping shares may name a file`,
    );
  }
  if (change.allowedFiles.length > 0 && change.options.RestrictFileAccess !== true) {
    throw refuse.invalidArg(`${describe}: AllowedFiles needs the RestrictFileAccess option`);
  }
  state.vsmb[change.name] = {
    path: change.path,
    options: change.options,
    allowedFiles: change.allowedFiles,
  };
}

export function updateVsmbShare({ state, files }: ApplyContext, change: ShareAdd): void {
  const key = findShareName(state, change.name);
  const name = `VSMB share ${change.name} on utility VM ${state.id}`;
  const existing = key === undefined ? undefined : state.vsmb[key];
  if (key === undefined || !existing)
    throw refuse.notFound(`${name} does not exist; cannot update it`);
  if (existing.options.RestrictFileAccess !== true) {
    throw refuse.invalidArg(
      `${name} is not a RestrictFileAccess share; HCS accepts Update only on restricted shares`,
    );
  }
  if (files.key(change.path) !== files.key(existing.path)) {
    throw refuse.invalidArg(
      `${name} shares ${existing.path}; an Update cannot move it to ${change.path}`,
    );
  }
  existing.allowedFiles = change.allowedFiles;
}

export function removeVsmbShare({ state }: ApplyContext, change: ShareRemove): void {
  const key = findShareName(state, change.name);
  const name = `VSMB share ${change.name} on utility VM ${state.id}`;
  if (key === undefined)
    throw refuse.notFound(`${name} does not exist; there is nothing to remove`);
  const users = combinedUsersOfShare(state, key);
  if (users.length > 0) {
    throw refuse.busy(
      `${name} is still a layer of the combined container root ${users.join(', ')}; ` +
        'remove the combined layers first (device or resource busy)',
    );
  }
  delete state.vsmb[key];
}
