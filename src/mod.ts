/**
 * proxy-fcgi: a FastCGI gateway for Node, Deno, Bun and Workers.
 *
 * ```ts
 * import { createGateway } from "proxy-fcgi";
 * const gateway = createGateway({ routes: [{ path: "/", target: "fcgi://127.0.0.1:9000/srv/app/" }] });
 * // Deno.serve(gateway.fetch) / Bun.serve({ fetch: gateway.fetch }) / serve(gateway.fetch, { host, port })
 * ```
 * @module
 */
import { configFromJson } from "./config/from-json.ts";
import type { JsonConfig } from "./config/json-types.ts";
import type { GatewayConfig } from "./config/types.ts";
import type { ConnectionInfo } from "./connection-info.ts";
import { connectionInfoFrom } from "./adapters/conninfo.ts";
import { createGateway as create, type FetchOptions, type Gateway, type GatewayOptions } from "./gateway/gateway.ts";
import { platformDefaults } from "./adapters/platform.ts";

/**
 * A gateway from the JSON configuration's shape (the same keys as the config file and the CLI) or from an
 * already built GatewayConfig. Nothing starts until the first request; `close()` ends every socket and timer.
 * `fetch(request, second)` accepts a ConnectionInfo or whatever the runtime passes a fetch handler (Deno's
 * ServeHandlerInfo, Bun's Server, @hono/node-server's env).
 */
export function createGateway(config: JsonConfig | GatewayConfig, options?: GatewayOptions): EmbeddedGateway {
  const built = "serverSoftware" in config ? config : configFromJson(JSON.stringify(config), "config");
  const gateway = create(built, { ...platformDefaults(), ...options });
  return {
    ...gateway,
    fetch: (request: Request, second?: unknown, fetchOptions?: FetchOptions) =>
      gateway.fetch(request, isConnectionInfo(second) ? second : connectionInfoFrom(request, second), fetchOptions),
  };
}

/** A Gateway whose fetch also takes a runtime's own second fetch argument. */
export interface EmbeddedGateway extends Omit<Gateway, "fetch"> {
  fetch(request: Request, second?: unknown, options?: FetchOptions): Promise<Response>;
}

function isConnectionInfo(x: unknown): x is ConnectionInfo {
  return typeof x === "object" && x !== null && "remoteAddress" in x && "localPort" in x;
}

export { configFromJson } from "./config/from-json.ts";
export { buildGatewayConfig } from "./config/gateway-config.ts";
export { parseProxyPass } from "./config/proxy-pass.ts";
export { ConfigError } from "./config/errors.ts";
export { serve } from "./adapters/serve.ts";
export { ListenError } from "./adapters/listen-error.ts";
export { VERSION } from "./version.ts";
export { connectionInfoFrom } from "./adapters/conninfo.ts";
export * from "./errors.ts";
export type { FetchOptions, Gateway, GatewayOptions, RouteStats } from "./gateway/gateway.ts";
export type { LogLevel, LogSink } from "./gateway/log.ts";
export type { MemberStats } from "./gateway/backends.ts";
export type { GatewayConfig, RouteConfig, BalancerConfig, MemberConfig } from "./config/types.ts";
export type { JsonConfig, JsonRoute, JsonBalancer, JsonMember } from "./config/json-types.ts";
export type { ConnectionInfo } from "./connection-info.ts";
export type { PoolStats } from "./pool/backend-pool.ts";
export type { HeaderReader, ProxyRequest, ProxyResponse } from "./gateway/messages.ts";
