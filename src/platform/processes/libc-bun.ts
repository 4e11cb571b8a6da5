// libc's socket calls through bun:ffi (Bun's node:net cannot hold a listening socket without accepting on it).
import type { Libc } from "./libc-listen.ts";

interface BunFfi {
  dlopen(path: string, symbols: Record<string, { args: string[]; returns: string }>): { symbols: Record<string, (...a: unknown[]) => unknown> };
  read: { i32(pointer: unknown, offset: number): number };
}

/** libc.so.6 bound once per process. */
let libc: Libc | undefined;

/** The libc calls on Bun. */
export async function bunLibc(): Promise<Libc> {
  if (libc) return libc;
  // Through a variable: bundlers for the other runtimes must not try to resolve bun:ffi.
  const moduleName = "bun:ffi";
  const ffi = (await import(moduleName)) as BunFfi;
  const { symbols: s } = ffi.dlopen("libc.so.6", {
    socket: { args: ["i32", "i32", "i32"], returns: "i32" },
    setsockopt: { args: ["i32", "i32", "i32", "ptr", "u32"], returns: "i32" },
    bind: { args: ["i32", "ptr", "u32"], returns: "i32" },
    listen: { args: ["i32", "i32"], returns: "i32" },
    getsockname: { args: ["i32", "ptr", "ptr"], returns: "i32" },
    close: { args: ["i32"], returns: "i32" },
    __errno_location: { args: [], returns: "ptr" },
  });
  const call = (name: string, ...a: unknown[]) => s[name]!(...a) as number;
  libc = {
    socket: (d, t, p) => call("socket", d, t, p),
    setsockopt: (fd, l, n, v, len) => call("setsockopt", fd, l, n, v, len),
    bind: (fd, a, len) => call("bind", fd, a, len),
    listen: (fd, b) => call("listen", fd, b),
    getsockname: (fd, a, len) => call("getsockname", fd, a, len),
    close: (fd) => call("close", fd),
    errno: () => ffi.read.i32(s.__errno_location!(), 0),
  };
  return libc;
}
