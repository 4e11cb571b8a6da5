// The shutdown clock every server adapter shares: wait for in-flight requests, run the grace-over hook, then
// force. One copy, so every runtime cuts at the same moments and logs the same way.

/** How long connections get after `onGraceOver` before they are cut. */
export const CUT_DELAY_MS = 1000;

/**
 * Awaits `drained` (every connection closed) for up to `graceMs`; then calls `onGraceOver`, waits up to
 * CUT_DELAY_MS more, calls `force` and waits the same again (Deno's `force` does nothing: it cannot cut).
 */
export async function closeWithGrace(drained: Promise<void>, graceMs: number, onGraceOver: (() => unknown) | undefined, force: () => void): Promise<void> {
  if (await within(drained, graceMs)) return;
  try {
    await onGraceOver?.();
  } catch {
    // the hook's failure must not stop the shutdown
  }
  if (await within(drained, CUT_DELAY_MS)) return;
  force();
  await within(drained, CUT_DELAY_MS);
}

/** Whether `p` settled within `ms`. */
function within(p: Promise<void>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    p.then(() => true, () => true),
    new Promise<boolean>((resolve) => { timer = setTimeout(resolve, ms, false); }),
  ]).finally(() => clearTimeout(timer));
}
