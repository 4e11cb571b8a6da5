// Picks the running runtime's native server. Dynamic imports keep each runtime's code out of the others.
import type { FetchHandler, RunningServer, ServeOptions } from "./types.ts";

export async function serve(handler: FetchHandler, options: ServeOptions): Promise<RunningServer> {
  const g = globalThis as { Bun?: unknown; Deno?: unknown };
  if (g.Bun) return (await import("./bun/serve.ts")).serveBun(handler, options);
  if (g.Deno) return (await import("./deno/serve.ts")).serveDeno(handler, options);
  return (await import("./node/serve.ts")).serveNode(handler, options);
}
