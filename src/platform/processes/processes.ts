// The running runtime's process services: children through node:child_process everywhere; a listening socket
// for fd 0 through node:net on Node and through libc's FFI on Bun and Deno. Loaded lazily by the CLI: the
// Workers build never includes it (no processes there).
import { RUNTIME } from "../runtime.ts";
import { spawnChild } from "./children.ts";
import { libcListen } from "./libc-listen.ts";
import type { Processes } from "./types.ts";

/** The Processes of this runtime, or null where there are none (Workers). */
export function currentProcesses(): Processes | null {
  switch (RUNTIME) {
    case "node":
      return {
        runtime: "node",
        holdsSockets: false,
        listen: async (address, backlog) => (await import("./listen-node.ts")).nodeListen(address, backlog),
        spawn: spawnChild,
      };
    case "bun":
      return {
        runtime: "bun",
        holdsSockets: true,
        listen: async (address, backlog) => libcListen(await (await import("./libc-bun.ts")).bunLibc(), address, backlog),
        spawn: spawnChild,
      };
    case "deno":
      return {
        runtime: "deno",
        holdsSockets: true,
        listen: async (address, backlog) => libcListen((await import("./libc-deno.ts")).denoLibc(), address, backlog),
        spawn: spawnChild,
      };
    default:
      return null;
  }
}
