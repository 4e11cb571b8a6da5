// The socket shim of the running runtime. Dynamic import(), so one runtime never loads another runtime's shim.
import type { Connector } from "../transport/types.ts";
import { RUNTIME } from "./runtime.ts";

/** Loads the running runtime's connector. */
export async function runtimeConnector(): Promise<Connector> {
  switch (RUNTIME) {
    case "bun":
      return (await import("../transport/bun.ts")).connectBun;
    case "deno":
      return (await import("../transport/deno.ts")).connectDeno;
    case "workerd":
      return (await import("../transport/workers.ts")).connectWorkers;
    case "node":
      return (await import("../transport/node.ts")).connectNode;
  }
}

/** A connector that loads the runtime's shim on its first connect (creating a gateway stays synchronous). */
export function lazyConnector(load: () => Promise<Connector> = runtimeConnector): Connector {
  let loaded: Connector | undefined;
  let loading: Promise<Connector> | undefined;
  return async (endpoint, options) => {
    const connect = loaded ?? (loaded = await (loading ??= load()));
    return connect(endpoint, options);
  };
}
