// The client connection from whatever a runtime passes as a fetch handler's second argument, so one
// `fetch(request, second)` works under `deno serve` (ServeHandlerInfo), `bun run` / Bun.serve (the Server),
// @hono/node-server ({ incoming }), and Workers (bindings; the address is in cf-connecting-ip). Each runtime's
// own file says how its connection reads; this file only tells them apart.
import type { ConnectionInfo } from "../connection-info.ts";
import { infoFromUrl } from "../gateway/request-target.ts";
import { RUNTIME } from "../platform/runtime.ts";
import { bunConnectionInfo, type BunAddress } from "./client-info/bun.ts";
import { denoConnectionInfo, type DenoAddr } from "./client-info/deno.ts";
import { nodeConnectionInfo, type NodeIncoming } from "./client-info/node.ts";
import { workersConnectionInfo } from "./client-info/workers.ts";

/**
 * The ConnectionInfo of `request` from a runtime's second fetch argument. The listener's address comes from the
 * URL; without a recognised argument REMOTE_ADDR is empty (on Workers, cf-connecting-ip: elsewhere that header
 * is whatever the client sent, so it is never trusted).
 */
export function connectionInfoFrom(request: Request, second: unknown): ConnectionInfo {
  const fromUrl = infoFromUrl(request.url);
  const { localAddress, localPort, tls } = fromUrl;
  if (second && typeof second === "object") {
    if ("remoteAddr" in second) return denoConnectionInfo((second as { remoteAddr: DenoAddr }).remoteAddr, localAddress, localPort, tls);
    const requestIP = (second as { requestIP?: unknown }).requestIP;
    if (typeof requestIP === "function") return bunConnectionInfo(requestIP.call(second, request) as BunAddress, localAddress, localPort, tls);
    const incoming = (second as { incoming?: NodeIncoming }).incoming;
    if (incoming?.socket) return nodeConnectionInfo(incoming, localPort);
  }
  if (RUNTIME === "workerd") return workersConnectionInfo(request, localAddress, localPort, tls);
  return fromUrl;
}
