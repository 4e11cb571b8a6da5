// The client connection from whatever a runtime passes as a fetch handler's second argument, so one
// `fetch(request, second)` works under `deno serve` (ServeHandlerInfo), `bun run` / Bun.serve (the Server),
// @hono/node-server ({ incoming }), and Workers (bindings; the address is in cf-connecting-ip).
import { normaliseAddress, type ConnectionInfo } from "../connection-info.ts";

interface DenoInfo { remoteAddr: { hostname?: string; port?: number; transport?: string } }
interface BunServer { requestIP(req: Request): { address: string; port: number } | null; port?: number; hostname?: string }
interface NodeEnv { incoming: { socket: { remoteAddress?: string; remotePort?: number; localAddress?: string; localPort?: number; encrypted?: boolean }; url?: string; httpVersion?: string } }

export function connectionInfoFrom(request: Request, second: unknown): ConnectionInfo {
  const url = safeUrl(request.url);
  const tls = url?.protocol === "https:";
  const localPort = url?.port ? Number(url.port) : tls ? 443 : 80;
  const local = { localAddress: url?.hostname ?? "", localPort, tls };
  if (second && typeof second === "object") {
    if ("remoteAddr" in second) {
      const addr = (second as DenoInfo).remoteAddr;
      return { ...local, remoteAddress: normaliseAddress(addr.hostname), ...(addr.port !== undefined ? { remotePort: addr.port } : {}) };
    }
    if (typeof (second as BunServer).requestIP === "function") {
      const ip = (second as BunServer).requestIP(request);
      return { ...local, remoteAddress: normaliseAddress(ip?.address), ...(ip ? { remotePort: ip.port } : {}) };
    }
    if ("incoming" in second && (second as NodeEnv).incoming?.socket) {
      const { socket, url: rawTarget, httpVersion } = (second as NodeEnv).incoming;
      return {
        remoteAddress: normaliseAddress(socket.remoteAddress),
        ...(socket.remotePort !== undefined ? { remotePort: socket.remotePort } : {}),
        localAddress: normaliseAddress(socket.localAddress),
        localPort: socket.localPort ?? localPort,
        tls: Boolean(socket.encrypted),
        ...(rawTarget ? { rawTarget } : {}),
        ...(httpVersion ? { httpVersion } : {}),
      };
    }
  }
  // Workers: the edge puts the client's address in a header, and there is no port. Elsewhere that header
  // is whatever the client sent, so it is never trusted.
  const onWorkers = (globalThis as { navigator?: { userAgent?: string } }).navigator?.userAgent === "Cloudflare-Workers";
  return { ...local, remoteAddress: onWorkers ? normaliseAddress(request.headers.get("cf-connecting-ip")) : "" };
}

function safeUrl(u: string): URL | undefined {
  try {
    return new URL(u);
  } catch {
    return undefined;
  }
}
