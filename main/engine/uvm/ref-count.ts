/**
 * The one ref-count rule every device follows (fix B7): only the last reference sends the remove,
 * and only the remove's success forgets the device; a failed remove keeps it with its count of 1,
 * so a retry works and a count never underflows.
 */
export async function dropReference(
  entry: { refCount: number },
  remove: () => Promise<void>,
  forget: () => void,
): Promise<void> {
  if (entry.refCount > 1) {
    entry.refCount--;
    return;
  }
  await remove();
  forget();
}
