// Picks the running runtime's native server. Dynamic imports keep each runtime's code out of the others.
import type { RunningServer, ServeOptions, ServeTarget } from "./types.ts";

/** Serves a gateway (or any fetch handler) on the running runtime's HTTP server. */
export async function serve(target: ServeTarget, options: ServeOptions): Promise<RunningServer> {
  const g = globalThis as { Bun?: unknown; Deno?: unknown };
  if (g.Bun) return (await import("./bun/serve.ts")).serveBun(target, options);
  if (g.Deno) return (await import("./deno/serve.ts")).serveDeno(typeof target === "function" ? target : target.fetch, options);
  return (await import("./node/serve.ts")).serveNode(target, options);
}
