// The client connection on Workers: the edge puts the client's address in cf-connecting-ip, and there is no
// port. The one place it becomes a ConnectionInfo (the Workers entry and the embedded gateway on workerd).
import { normaliseAddress, type ConnectionInfo } from "../../connection-info.ts";

/** The client of `request`, reaching the listener the URL names. */
export function workersConnectionInfo(request: Request, localAddress: string, localPort: number, tls: boolean): ConnectionInfo {
  return { remoteAddress: normaliseAddress(request.headers.get("cf-connecting-ip")), localAddress, localPort, tls };
}
