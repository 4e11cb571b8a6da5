// Timers that must not keep the process alive on their own (a pool's idle sweep, a health check's next
// round): Node and Bun timers have unref(); Deno's are numbers, unref'd through Deno.unrefTimer.

export function unrefTimer(timer: ReturnType<typeof setTimeout>): void {
  const t = timer as unknown as { unref?: () => void };
  if (typeof t.unref === "function") {
    t.unref();
    return;
  }
  const deno = (globalThis as { Deno?: { unrefTimer?: (id: number) => void } }).Deno;
  if (typeof timer === "number") deno?.unrefTimer?.(timer);
}
