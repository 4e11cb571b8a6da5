// A server that could not start listening, as one typed error naming the address (the runtimes throw
// EADDRINUSE and friends with a stack and each in its own words).
import { ListenError } from "../errors.ts";

const REASONS: Record<string, string> = {
  EADDRINUSE: "address already in use (is another server, or another proxy-fcgi, listening there?)",
  EACCES: "permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)",
  EADDRNOTAVAIL: "not an address of this machine",
  ENOTFOUND: "the host name does not resolve",
};

/** Whatever the runtime's server threw at listen time → a ListenError. */
export function toListenError(e: unknown, host: string, port: number): ListenError {
  const code = typeof (e as { code?: unknown })?.code === "string" ? (e as { code: string }).code : "EUNKNOWN";
  const address = host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
  return new ListenError(address, code, REASONS[code] ?? `cannot listen: ${(e as Error)?.message ?? e}`, { cause: e });
}
