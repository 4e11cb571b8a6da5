// The client connection on Deno (ServeHandlerInfo.remoteAddr): the one place it becomes a ConnectionInfo, for
// the Deno.serve adapter and the embedded gateway under `deno serve`. Deno exposes neither the raw
// request-target nor the HTTP version.
import { normaliseAddress, type ConnectionInfo } from "../../connection-info.ts";

/** Deno's address of the peer. */
export interface DenoAddr {
  readonly hostname?: string;
  readonly port?: number;
}

/** The client at `remote`, reaching the listener at `localAddress:localPort`. */
export function denoConnectionInfo(remote: DenoAddr, localAddress: string, localPort: number, tls: boolean): ConnectionInfo {
  return { remoteAddress: normaliseAddress(remote.hostname), remotePort: remote.port, localAddress, localPort, tls };
}
