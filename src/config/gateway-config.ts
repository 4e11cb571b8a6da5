// Merges the sources of configuration into one validated GatewayConfig: routes from `--proxy-pass` flags come
// first, in flag order, then the file's; other flags override the file's values.
import { BalancerSet } from "./balancers.ts";
import { ConfigError } from "./errors.ts";
import type { FileConfig } from "./json.ts";
import type { ListenAddress } from "./listen.ts";
import { prefixMatches } from "./prefix.ts";
import type { GatewayConfig, RouteConfig } from "./types.ts";

export const SERVER_SOFTWARE = "proxy-fcgi/0.1";

export interface ConfigSources {
  flagRoutes?: readonly RouteConfig[];
  flagBalancers?: BalancerSet;
  file?: FileConfig;
  listen?: ListenAddress;
  documentRoot?: string;
  logLevel?: "info" | "warn" | "error";
}

export function buildGatewayConfig(src: ConfigSources): GatewayConfig {
  const routes = [...(src.flagRoutes ?? []), ...(src.file?.routes ?? [])];
  checkShadowing(routes);
  const balancers = BalancerSet.combine(src.flagBalancers ?? new BalancerSet(), src.file?.balancers).build();
  for (const r of routes) {
    if (r.target.kind === "balancer" && !balancers.some((b) => b.name === (r.target as { name: string }).name)) {
      throw new ConfigError(`route "${r.prefix}"`, `${r.target.text} is not defined (add --balancer-member "${r.target.text} fcgi://...")`);
    }
  }
  return {
    listen: src.listen ?? src.file?.listen ?? { host: "127.0.0.1", port: 8080 },
    documentRoot: src.documentRoot ?? src.file?.documentRoot ?? "",
    routes,
    balancers,
    serverSoftware: SERVER_SOFTWARE,
    maxHeadLine: src.file?.maxHeadLine ?? 8192,
    maxHead: src.file?.maxHead ?? 65536,
    maxStderrLog: 16 * 1024,
    logLevel: src.logLevel ?? src.file?.logLevel ?? "info",
  };
}

/** The first matching route wins (as in Apache), so a route that an earlier one covers entirely can never run. */
export function checkShadowing(routes: readonly RouteConfig[]): void {
  routes.forEach((route, i) => {
    const earlier = routes.slice(0, i).find((r) => prefixMatches(r.prefix, route.prefix));
    if (earlier) {
      throw new ConfigError(`route "${route.prefix}"`, `never used: the earlier route "${earlier.prefix}" matches every path it would`);
    }
  });
}
