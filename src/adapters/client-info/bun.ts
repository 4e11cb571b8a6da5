// The client connection on Bun (server.requestIP(req), null on a Unix listener): the one place it becomes a
// ConnectionInfo, for the Bun.serve adapter and the embedded gateway under `bun run`.
import { normaliseAddress, type ConnectionInfo } from "../../connection-info.ts";

/** What Bun's requestIP() returns. */
export type BunAddress = { readonly address: string; readonly port: number } | null;

/** The client at `ip`, reaching the listener at `localAddress:localPort`. */
export function bunConnectionInfo(ip: BunAddress, localAddress: string, localPort: number, tls: boolean): ConnectionInfo {
  return { remoteAddress: normaliseAddress(ip?.address), remotePort: ip?.port, localAddress, localPort, tls };
}
