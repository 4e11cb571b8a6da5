// Picks the socket shim for the running runtime. Dynamic import(), so one runtime never loads
// another runtime's shim. Detection order matters: Bun and Deno also define `process`.

import type { Connector } from "./types.ts";

export type RuntimeName = "node" | "deno" | "bun" | "workerd";

export function runtimeName(): RuntimeName {
  const g = globalThis as { Bun?: unknown; Deno?: unknown; navigator?: { userAgent?: unknown } };
  if (g.Bun !== undefined) return "bun";
  if (g.Deno !== undefined) return "deno";
  if (g.navigator?.userAgent === "Cloudflare-Workers") return "workerd";
  return "node";
}

export async function runtimeConnector(): Promise<Connector> {
  switch (runtimeName()) {
    case "bun":
      return (await import("./bun.ts")).connectBun;
    case "deno":
      return (await import("./deno.ts")).connectDeno;
    case "workerd":
      return (await import("./workers.ts")).connectWorkers;
    case "node":
      return (await import("./node.ts")).connectNode;
  }
}
