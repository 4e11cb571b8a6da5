// Serving on Bun with Bun.serve. The client address comes from server.requestIP(req) (null on a Unix
// listener). Bun closes connections idle for `idleTimeout` (at most 255 s), which would cut long SSE streams,
// so a streamed response switches the timeout off for its request.
import { normaliseAddress } from "../../connection-info.ts";
import { bunConnectionInfo } from "../client-info/bun.ts";
import { toResponse } from "../../gateway/messages.ts";
import { closeWithGrace } from "../grace.ts";
import type { RunningServer, ServeOptions, ServeTarget } from "../types.ts";

interface BunServer {
  port: number;
  hostname: string;
  requestIP(req: Request): { address: string; port: number } | null;
  timeout(req: Request, seconds: number): void;
  stop(closeActive?: boolean): Promise<void>;
}
interface BunServeLike {
  serve(options: {
    hostname: string;
    port: number;
    idleTimeout?: number;
    maxRequestBodySize?: number;
    fetch(req: Request, server: BunServer): Response | Promise<Response>;
  }): BunServer;
}

/** Bun prints a failed body's error with a code frame; the gateway has logged it (FetchOptions.quietBodyErrors). */
const QUIET = { quietBodyErrors: true } as const;

export async function serveBun(target: ServeTarget, options: ServeOptions): Promise<RunningServer> {
  const Bun = (globalThis as unknown as { Bun: BunServeLike }).Bun;
  let localAddress = options.host;
  const server = Bun.serve({
    hostname: options.host,
    port: options.port,
    idleTimeout: 255,
    // Bun refuses bodies over 128 MiB by default; the gateway enforces each route's max-body itself.
    maxRequestBodySize: Number.MAX_SAFE_INTEGER,
    async fetch(req, srv) {
      const info = bunConnectionInfo(srv.requestIP(req), localAddress, srv.port, false);
      if (typeof target === "function") {
        const response = await target(req, info);
        if (response.body) srv.timeout(req, 0);
        return response;
      }
      const r = await target.respond(req, info, QUIET);
      // Only a streamed body needs the idle timeout off.
      if (r.body instanceof ReadableStream) srv.timeout(req, 0);
      return toResponse(r);
    },
  });
  localAddress = normaliseAddress(server.hostname) || options.host;
  return {
    port: server.port,
    host: options.host,
    close: (graceMs = 10_000, onGraceOver?: () => unknown) =>
      closeWithGrace(server.stop(false), graceMs, onGraceOver, () => void server.stop(true)),
  };
}
