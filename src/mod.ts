/**
 * proxy-fcgi: a FastCGI gateway for Node, Deno, Bun and Workers.
 *
 * ```ts
 * import { createGateway } from "proxy-fcgi";
 * const gateway = createGateway({ routes: [{ path: "/", target: "fcgi://127.0.0.1:9000/srv/app/" }] });
 * // Deno.serve(gateway.fetch) / Bun.serve({ fetch: gateway.fetch }) / serve(gateway, { host, port })
 * ```
 * @module
 */
export { createGateway, type EmbeddedGateway } from "./adapters/embedded.ts";
export { serve } from "./adapters/serve.ts";
export { connectionInfoFrom } from "./adapters/conninfo.ts";
export { configFromJson } from "./config/from-json.ts";
export { buildGatewayConfig } from "./config/gateway-config.ts";
export { parseProxyPass } from "./config/proxy-pass.ts";
export { VERSION } from "./version.ts";
export * from "./errors.ts";
export type { FetchOptions, Gateway, GatewayOptions, RouteStats } from "./gateway/types.ts";
export type { LogLevel, LogSink } from "./platform/types.ts";
export type { MemberStats } from "./gateway/backends.ts";
export type { GatewayConfig, RouteConfig, BalancerConfig, MemberConfig } from "./gateway/config-types.ts";
export type { JsonConfig, JsonRoute, JsonBalancer, JsonMember } from "./config/json-types.ts";
export type { ConnectionInfo } from "./connection-info.ts";
export type { PoolStats } from "./pool/backend-pool.ts";
export type { HeaderReader, ProxyRequest, ProxyResponse } from "./gateway/messages.ts";
export type { RunningServer, ServeOptions, ServeTarget, FetchHandler } from "./adapters/types.ts";
