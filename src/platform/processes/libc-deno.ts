// libc's socket calls through Deno.dlopen (Deno's node:net exposes no descriptor; its child_process takes one).
import { LIBC_SYMBOLS, libcOver, type Libc } from "./libc-listen.ts";

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
  // Deno's names are LIBC_SYMBOLS' own ("buffer" for a Uint8Array, "pointer" for a returned pointer).
  const symbols = Object.fromEntries(Object.entries(LIBC_SYMBOLS).map(([name, d]) => [name, { parameters: [...d.args], result: d.result }]));
  const { symbols: s } = deno.dlopen("libc.so.6", symbols);
  libc = libcOver((name, ...a) => s[name]!(...a) as number, () => new deno.UnsafePointerView(s.__errno_location!()).getInt32());
  return libc;
}
