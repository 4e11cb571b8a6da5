// Serving on Deno with Deno.serve. The client address comes from ServeHandlerInfo.remoteAddr; Deno exposes
// neither the raw request-target nor the HTTP version, so REQUEST_URI comes from the parsed URL.
import { normaliseAddress } from "../../connection-info.ts";
import type { FetchHandler, RunningServer, ServeOptions } from "../types.ts";

interface NetAddr { hostname: string; port: number }
interface DenoServer { addr: NetAddr; finished: Promise<void>; shutdown(): Promise<void> }
interface DenoServeLike {
  serve(
    options: { hostname: string; port: number; onListen?: (addr: NetAddr) => void; signal?: AbortSignal },
    handler: (req: Request, info: { remoteAddr: NetAddr }) => Response | Promise<Response>,
  ): DenoServer;
}

export function serveDeno(handler: FetchHandler, options: ServeOptions): Promise<RunningServer> {
  const Deno = (globalThis as unknown as { Deno: DenoServeLike }).Deno;
  const hard = new AbortController();
  return new Promise((resolve) => {
    const server = Deno.serve(
      {
        hostname: options.host,
        port: options.port,
        signal: hard.signal,
        onListen: (addr) => {
          resolve({
            port: addr.port,
            host: options.host,
            close: async (graceMs = 10_000) => {
              const timer = setTimeout(() => hard.abort(), graceMs);
              await server.shutdown();
              clearTimeout(timer);
            },
          });
        },
      },
      (req, info) =>
        handler(req, {
          remoteAddress: normaliseAddress(info.remoteAddr.hostname),
          remotePort: info.remoteAddr.port,
          localAddress: normaliseAddress(server.addr.hostname),
          localPort: server.addr.port,
          tls: false,
        }),
    );
  });
}
