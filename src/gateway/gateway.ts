// The gateway object: built from a validated config and the runtime's services (a Platform), it owns the
// backends, the routes, the clock and the log, and hands each request to the pipeline (pipeline.ts).
// Nothing starts at creation: sockets and timers start with the first request, and close() ends them all.
// Library users call createGateway (src/adapters/embedded.ts), which fills in the running runtime's services.
import type { ConnectionInfo } from "../connection-info.ts";
import { CutAtShutdown } from "../errors.ts";
import type { LogLevel, Platform } from "../platform/types.ts";
import { randomPrefix } from "./access-log.ts";
import { Backends } from "./backends.ts";
import type { CallContext } from "./call.ts";
import type { GatewayConfig } from "./config-types.ts";
import type { Exchange } from "./exchange.ts";
import type { LiveRoute } from "./live-route.ts";
import { Logger } from "./log.ts";
import { toResponse, type ProxyRequest, type ProxyResponse } from "./messages.ts";
import { Pipeline } from "./pipeline.ts";
import { Site } from "../site/site.ts";
import { checkPlatform } from "./platform-check.ts";
import { infoFromUrl } from "./request-target.ts";
import { routeStats } from "./stats.ts";
import { PerItemTicker, SharedTicker, tickPeriod, type Ticker } from "./ticker.ts";
import type { FetchOptions, Gateway } from "./types.ts";

/**
 * A gateway for `config` on `platform`. Throws a ConfigError when the config asks for what the platform lacks
 * (a unix: target without Unix sockets, path-info=full without a filesystem).
 */
export function openGateway(config: GatewayConfig, platform: Platform, logLevel: LogLevel = config.logLevel): Gateway {
  checkPlatform(config, platform);
  const log = new Logger(platform.log, logLevel);
  const persistent = platform.connectionsOutliveRequests;
  const backends = new Backends(config, platform, (fields, message) => log.log("warn", fields, message));
  const siteFiles = platform.siteFiles;
  const routes: LiveRoute[] = config.routes.map((r) => ({
    prefix: r.prefix,
    config: r,
    backend: backends.forRoute(r),
    site: r.site !== undefined && siteFiles !== null ? new Site(r.site, siteFiles) : undefined,
    requests: 0,
    errors: 0,
    inFlight: 0,
  }));
  const period = tickPeriod(Math.min(...config.routes.map((r) => r.ioTimeoutMs)));
  // Where sockets die with their request (Workers), so must a timer: one per exchange, no shared clock.
  const ticker: Ticker<Exchange> = persistent ? new SharedTicker(period, platform.unrefTimer) : new PerItemTicker(period);
  const ctx: CallContext = {
    config,
    log,
    idPrefix: randomPrefix(),
    ticker,
    limits: { maxLine: config.maxHeadLine, maxHead: config.maxHead },
    isFile: platform.isFile ?? undefined,
    siteFiles: siteFiles ?? undefined,
    inFlight: 0,
  };
  const pipeline = new Pipeline(ctx, routes, platform.tempStore ?? undefined, platform.memorySpoolCap);
  let nextId = 0;

  function respond(request: ProxyRequest, info?: ConnectionInfo, options?: FetchOptions): Promise<ProxyResponse> {
    if (nextId === 0 && persistent) backends.health.start(); // timers start with the first request
    return pipeline.handle(request, info ?? infoFromUrl(request.url), ++nextId, info !== undefined, options);
  }

  return {
    fetch: (request, info, options) => respond(request, info, options).then(toResponse),
    respond,
    async close() {
      pipeline.closed = true;
      for (const exchange of ticker.live()) exchange.cut(new CutAtShutdown("cut by the gateway at shutdown: still running when it stopped"));
      backends.close();
      ticker.close();
      platform.flushLog();
    },
    stats: () => ({ inFlight: ctx.inFlight, routes: routeStats(routes) }),
  };
}
