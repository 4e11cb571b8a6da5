// The client connection on Node (node:http's IncomingMessage, also what @hono/node-server passes as `incoming`):
// the one place Node's socket becomes a ConnectionInfo, for the node:http adapter and the embedded gateway.
import { normaliseAddress, type AbortHook, type ConnectionInfo } from "../../connection-info.ts";

/** The parts of an IncomingMessage read here. */
export interface NodeIncoming {
  readonly socket: { remoteAddress?: string; remotePort?: number; localAddress?: string; localPort?: number; encrypted?: boolean };
  readonly url?: string;
  readonly httpVersion?: string;
}

/** `fallbackLocalPort` stands in where the socket has no local port; `gone` is the cheap client-gone hook. */
export function nodeConnectionInfo(req: NodeIncoming, fallbackLocalPort: number, gone?: AbortHook): ConnectionInfo {
  const s = req.socket;
  return {
    remoteAddress: normaliseAddress(s.remoteAddress),
    remotePort: s.remotePort,
    localAddress: normaliseAddress(s.localAddress),
    localPort: s.localPort ?? fallbackLocalPort,
    tls: Boolean(s.encrypted),
    // The request-target as sent and the HTTP version: Node is the one runtime that exposes them.
    rawTarget: req.url || undefined,
    httpVersion: req.httpVersion || undefined,
    clientGone: gone,
  };
}
