// The one runtime detector. Everything that must know which runtime runs asks here.
import type { RuntimeName } from "./types.ts";

/** The running runtime. Order matters: Bun and Deno also define `process`. */
export function runtimeName(): RuntimeName {
  const g = globalThis as { Bun?: unknown; Deno?: unknown; navigator?: { userAgent?: unknown } };
  if (g.Bun !== undefined) return "bun";
  if (g.Deno !== undefined) return "deno";
  if (g.navigator?.userAgent === "Cloudflare-Workers") return "workerd";
  return "node";
}

/** The detected runtime, computed once. */
export const RUNTIME: RuntimeName = runtimeName();
