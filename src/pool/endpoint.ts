// How an endpoint is written in messages and used as a map key.
import type { Endpoint } from "../transport/types.ts";

/** `host:port` (IPv6 hosts in brackets) or `unix:/path`, as a user would write it. */
export function endpointText(e: Endpoint): string {
  if (e.kind === "unix") return `unix:${e.path}`;
  return e.host.includes(":") ? `[${e.host}]:${e.port}` : `${e.host}:${e.port}`;
}

/** One key per address: routes and members naming the same one share a pool. */
export function endpointKey(e: Endpoint): string {
  return e.kind === "tcp" ? `tcp:${e.host}:${e.port}` : `unix:${e.path}`;
}
