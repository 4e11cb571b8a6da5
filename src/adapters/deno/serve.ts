// Serving on Deno with Deno.serve. The client address comes from ServeHandlerInfo.remoteAddr; Deno exposes
// neither the raw request-target nor the HTTP version, so REQUEST_URI comes from the parsed URL.
import { normaliseAddress } from "../../connection-info.ts";
import { denoConnectionInfo } from "../client-info/deno.ts";
import { closeWithGrace } from "../grace.ts";
import { GatewayError } from "../../errors.ts";
import { writeStderr } from "../../platform/stderr.ts";
import type { FetchHandler, RunningServer, ServeOptions } from "../types.ts";

interface NetAddr { hostname: string; port: number }
interface DenoServer { addr: NetAddr; finished: Promise<void>; shutdown(): Promise<void> }
interface DenoServeLike {
  serve(
    options: { hostname: string; port: number; onListen?: (addr: NetAddr) => void; onError?: (error: unknown) => Response },
    handler: (req: Request, info: { remoteAddr: NetAddr }) => Response | Promise<Response>,
  ): DenoServer;
}

export function serveDeno(handler: FetchHandler, options: ServeOptions): Promise<RunningServer> {
  const Deno = (globalThis as unknown as { Deno: DenoServeLike }).Deno;
  return new Promise((resolve) => {
    const server = Deno.serve(
      {
        hostname: options.host,
        port: options.port,
        // A response body that fails mid-way was already logged by the gateway (one line); Deno's default
        // prints the error again, with a stack for anything else.
        onError: quietError,
        onListen: (addr) => {
          resolve({
            port: addr.port,
            host: options.host,
            // No abort signal: aborting Deno.serve while shutdown() runs throws an uncaught BadResource from
            // Deno's own listener (Deno 2.9). Responses end when the gateway cuts them; then shutdown() resolves.
            close: (graceMs = 10_000, onGraceOver?: () => unknown) =>
              closeWithGrace(server.shutdown(), graceMs, onGraceOver, () => {}),
          });
        },
      },
      (req, info) =>
        // No clientGone: request.signal is Deno's only word of a client that leaves before the response
        // head (ServeHandlerInfo.completed settles only after the response). Touching it makes Deno 2.9 print
        // a one-time notice about its legacy abort, which --unstable-no-legacy-abort turns off.
        handler(req, denoConnectionInfo(info.remoteAddr, normaliseAddress(server.addr.hostname), server.addr.port, false)),
    );
  });
}

/** Deno.serve's onError: silent for the gateway's own (logged) errors, one line for anything else. */
function quietError(error: unknown): Response {
  if (!(error instanceof GatewayError)) writeStderr(`${new Date().toISOString()} error unhandled: ${(error as Error)?.stack ?? error}\n`);
  return new Response("500 Internal Server Error\n", { status: 500, headers: { "content-type": "text/plain; charset=utf-8" } });
}
