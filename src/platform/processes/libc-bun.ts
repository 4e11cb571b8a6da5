// libc's socket calls through bun:ffi (Bun's node:net cannot hold a listening socket without accepting on it).
import { LIBC_SYMBOLS, libcOver, type Libc } from "./libc-listen.ts";

interface BunFfi {
  dlopen(path: string, symbols: Record<string, { args: string[]; returns: string }>): { symbols: Record<string, (...a: unknown[]) => unknown> };
  read: { i32(pointer: unknown, offset: number): number };
}

/** bun:ffi's names for the argument kinds: a Uint8Array and a returned pointer are both "ptr". */
const BUN_TYPE: Record<string, string> = { i32: "i32", u32: "u32", buffer: "ptr", pointer: "ptr" };

/** libc.so.6 bound once per process. */
let libc: Libc | undefined;

/** The libc calls on Bun. */
export async function bunLibc(): Promise<Libc> {
  if (libc) return libc;
  // Through a variable: bundlers for the other runtimes must not try to resolve bun:ffi.
  const moduleName = "bun:ffi";
  const ffi = (await import(moduleName)) as BunFfi;
  const symbols = Object.fromEntries(Object.entries(LIBC_SYMBOLS).map(([name, d]) => [name, { args: d.args.map((a) => BUN_TYPE[a]!), returns: BUN_TYPE[d.result]! }]));
  const { symbols: s } = ffi.dlopen("libc.so.6", symbols);
  libc = libcOver((name, ...a) => s[name]!(...a) as number, () => ffi.read.i32(s.__errno_location!(), 0));
  return libc;
}
