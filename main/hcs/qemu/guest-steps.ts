/**
 * Guest halves that are plain mounts: overlay combine and the unmounts. Unmounting treats
 * "not mounted" (EINVAL, ENOENT) as done: the model said the path was mounted, so the guest
 * lost it in an earlier, partly failed remove, and the retry must be able to finish.
 */
import type { GuestChange } from '../sim/request-plan.js';
import { isAgentErrno } from './agent-errors.js';
import type { OpContext } from './op-context.js';
import type { UndoStack } from './undo-stack.js';

type Combine = Extract<GuestChange, { kind: 'combine' }>;
type Uncombine = Extract<GuestChange, { kind: 'uncombine' }>;

export async function unmountIfMounted(ctx: OpContext, path: string): Promise<void> {
  const agent = await ctx.session.agent();
  try {
    await agent.unmount(path);
  } catch (error) {
    if (!isAgentErrno(error, 'EINVAL', 'ENOENT')) throw error;
  }
}

/** The engine lists layers base first; overlayfs wants the top-most lower first. */
export async function combine(ctx: OpContext, change: Combine, undo: UndoStack): Promise<void> {
  const agent = await ctx.session.agent();
  // The simulator's rules refused a Linux combine without ScratchPath already.
  const scratch = change.scratchPath ?? '';
  ctx.note({ kind: 'guest-mount', path: change.root });
  await agent.overlay({
    lowers: change.layers.map((layer) => layer.path).reverse(),
    scratch,
    target: change.root,
  });
  undo.push(`unmount the combined root ${change.root}`, () => unmountIfMounted(ctx, change.root));
}

export async function uncombine(ctx: OpContext, change: Uncombine): Promise<void> {
  await unmountIfMounted(ctx, change.root);
}
