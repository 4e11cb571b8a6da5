// libc's socket calls through Deno.dlopen (Deno's node:net exposes no descriptor; its child_process takes one).
import type { Libc } from "./libc-listen.ts";

interface DenoFfi {
  dlopen(path: string, symbols: Record<string, { parameters: string[]; result: string }>): { symbols: Record<string, (...a: unknown[]) => unknown> };
  UnsafePointerView: new (pointer: unknown) => { getInt32(): number };
}

/** libc.so.6 bound once per process. */
let libc: Libc | undefined;

/** The libc calls on Deno (needs --allow-ffi, which -A includes). */
export function denoLibc(): Libc {
  if (libc) return libc;
  const deno = (globalThis as unknown as { Deno: DenoFfi }).Deno;
  const { symbols: s } = deno.dlopen("libc.so.6", {
    socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
    setsockopt: { parameters: ["i32", "i32", "i32", "buffer", "u32"], result: "i32" },
    bind: { parameters: ["i32", "buffer", "u32"], result: "i32" },
    listen: { parameters: ["i32", "i32"], result: "i32" },
    getsockname: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
    close: { parameters: ["i32"], result: "i32" },
    __errno_location: { parameters: [], result: "pointer" },
  });
  const call = (name: string, ...a: unknown[]) => s[name]!(...a) as number;
  libc = {
    socket: (d, t, p) => call("socket", d, t, p),
    setsockopt: (fd, l, n, v, len) => call("setsockopt", fd, l, n, v, len),
    bind: (fd, a, len) => call("bind", fd, a, len),
    listen: (fd, b) => call("listen", fd, b),
    getsockname: (fd, a, len) => call("getsockname", fd, a, len),
    close: (fd) => call("close", fd),
    errno: () => new deno.UnsafePointerView(s.__errno_location!()).getInt32(),
  };
  return libc;
}
