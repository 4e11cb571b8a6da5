// Picks the running runtime's native server. Dynamic imports keep each runtime's code out of the others.
import { RUNTIME } from "../platform/runtime.ts";
import { toListenError } from "./listen-error.ts";
import type { RunningServer, ServeOptions, ServeTarget } from "./types.ts";

/**
 * Serves a gateway (or any fetch handler) on the running runtime's HTTP server. A socket that cannot be
 * opened rejects with a ListenError naming the address.
 */
export async function serve(target: ServeTarget, options: ServeOptions): Promise<RunningServer> {
  try {
    if (RUNTIME === "bun") return await (await import("./bun/serve.ts")).serveBun(target, options);
    if (RUNTIME === "deno") return await (await import("./deno/serve.ts")).serveDeno(typeof target === "function" ? target : target.fetch, options);
    return await (await import("./node/serve.ts")).serveNode(target, options);
  } catch (e) {
    throw toListenError(e, options.host, options.port);
  }
}
