/**
 * The gateway as a Cloudflare Worker you write yourself:
 *
 * ```ts
 * import { handler } from "proxy-fcgi/workers";
 * export default handler({ routes: [{ path: "/", target: "fcgi://php.example.net:9000/srv/app/" }] }, { secureTransport: "on" });
 * ```
 *
 * Sockets come from cloudflare:sockets; REMOTE_ADDR from the cf-connecting-ip header (there is no client port).
 * The gateway is built on the first request (a Worker may open no socket at module scope) and kept for the
 * isolate's life; its connections are per request, since workerd ends a socket with the request that opened it.
 * @module
 */
import { configFromJson } from "../../config/from-json.ts";
import type { JsonConfig } from "../../config/json-types.ts";
import type { GatewayOptions } from "../../gateway/types.ts";
import { createGateway, type EmbeddedGateway } from "../embedded.ts";
import { workersConnector, type WorkersConnectorOptions } from "../../transport/workers.ts";
import { connectionInfoFrom } from "../conninfo.ts";

/** The JSON configuration, as an object or as its text (a Worker var may be either). */
export type WorkersConfig = JsonConfig | string;

/** handler()'s options: TLS to the backends (`secureTransport`), and more gateway options. */
export interface WorkersHandlerOptions extends WorkersConnectorOptions {
  /** More gateway options (a log sink, ...). The Workers platform (src/platform/current.ts) sits underneath. */
  readonly gateway?: GatewayOptions;
}

/** A Worker's `{ fetch }`, to export as its default. */
export interface WorkersHandler {
  fetch(request: Request, env?: unknown, ctx?: unknown): Promise<Response>;
}

/** A `{ fetch }` object to export as a Worker's default. A configuration error answers 500 and is logged. */
export function handler(config: WorkersConfig, options: WorkersHandlerOptions = {}): WorkersHandler {
  let gateway: EmbeddedGateway | undefined;
  return {
    fetch(request) {
      try {
        gateway ??= createWorkersGateway(config, "config", options);
      } catch (e) {
        return Promise.resolve(configFailure(e, "config"));
      }
      return serveOnWorkers(gateway, request);
    },
  };
}

/** A gateway with the cloudflare:sockets connector. Throws the ConfigError of a bad configuration. */
export function createWorkersGateway(config: WorkersConfig, source: string, options: WorkersHandlerOptions = {}): EmbeddedGateway {
  const built = configFromJson(config, source);
  const connector = workersConnector(options.secureTransport === undefined ? {} : { secureTransport: options.secureTransport });
  return createGateway(built, { connector, ...options.gateway });
}

/** Serves one request; the client address is the edge's cf-connecting-ip (conninfo.ts). */
export function serveOnWorkers(gateway: EmbeddedGateway, request: Request): Promise<Response> {
  return gateway.fetch(request, connectionInfoFrom(request, undefined));
}

/** Logs why there is no gateway and answers 500 (the reason stays in the log, not in the response). */
export function configFailure(error: unknown, source: string): Response {
  const message = error instanceof Error ? error.message : String(error);
  console.error(`proxy-fcgi: configuration error (${source}): ${message}`);
  return new Response("500 Internal Server Error (proxy-fcgi configuration)\n", {
    status: 500,
    headers: { "content-type": "text/plain; charset=utf-8" },
  });
}
