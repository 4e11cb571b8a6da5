/**
 * createGateway: the gateway as a library, on the running runtime (Node, Deno, Bun or Workers).
 *
 * ```ts
 * import { createGateway } from "proxy-fcgi";
 * const gateway = createGateway({ routes: [{ path: "/", target: "fcgi://127.0.0.1:9000/srv/app/" }] });
 * // Deno.serve(gateway.fetch) / Bun.serve({ fetch: gateway.fetch }) / serve(gateway, { host, port })
 * ```
 * @module
 */
import { configFromJson } from "../config/from-json.ts";
import type { JsonConfig } from "../config/json-types.ts";
import type { ConnectionInfo } from "../connection-info.ts";
import type { GatewayConfig } from "../gateway/config-types.ts";
import { openGateway } from "../gateway/gateway.ts";
import type { FetchOptions, Gateway, GatewayOptions } from "../gateway/types.ts";
import { currentPlatform } from "../platform/current.ts";
import type { Platform } from "../platform/types.ts";
import { connectionInfoFrom } from "./conninfo.ts";

/** A Gateway whose fetch also takes a runtime's own second fetch argument. */
export interface EmbeddedGateway extends Omit<Gateway, "fetch"> {
  /**
   * `second`: a ConnectionInfo, or whatever the runtime passes a fetch handler (Deno's ServeHandlerInfo, Bun's
   * Server, @hono/node-server's env, nothing on Workers): the client address is read from it.
   */
  fetch(request: Request, second?: unknown, options?: FetchOptions): Promise<Response>;
}

/**
 * A gateway from the JSON configuration's shape (the same keys as the config file and the CLI; JsonConfig) or
 * from an already built GatewayConfig (buildGatewayConfig, configFromJson). `options` replace the running
 * runtime's services (sockets, log sink, filesystem; GatewayOptions). Nothing starts until the first request;
 * `close()` ends every socket and timer. Throws a ConfigError naming the bad key.
 */
export function createGateway(config: JsonConfig | GatewayConfig, options: GatewayOptions = {}): EmbeddedGateway {
  const built = isGatewayConfig(config) ? config : configFromJson(config, "config");
  const gateway = openGateway(built, platformWith(options), options.logLevel ?? built.logLevel);
  return {
    respond: gateway.respond,
    close: gateway.close,
    stats: gateway.stats,
    fetch: (request: Request, second?: unknown, fetchOptions?: FetchOptions) =>
      gateway.fetch(request, isConnectionInfo(second) ? second : connectionInfoFrom(request, second), fetchOptions),
  };
}

/** The running runtime's services with `options` on top. */
export function platformWith(options: GatewayOptions): Platform {
  const p = currentPlatform();
  return {
    runtime: p.runtime,
    connector: options.connector ?? p.connector,
    unrefTimer: p.unrefTimer,
    isFile: options.isFile === undefined ? p.isFile : options.isFile,
    siteFiles: options.siteFiles === undefined ? p.siteFiles : options.siteFiles,
    tempStore: options.tempStore === undefined ? p.tempStore : options.tempStore,
    memorySpoolCap: options.memorySpoolCap ?? p.memorySpoolCap,
    log: options.log ?? p.log,
    flushLog: p.flushLog,
    connectionsOutliveRequests: options.connectionsOutliveRequests ?? p.connectionsOutliveRequests,
    unixSockets: options.unixSockets ?? p.unixSockets,
  };
}

function isGatewayConfig(config: JsonConfig | GatewayConfig): config is GatewayConfig {
  return "serverSoftware" in config;
}

function isConnectionInfo(x: unknown): x is ConnectionInfo {
  return typeof x === "object" && x !== null && "remoteAddress" in x && "localPort" in x;
}
