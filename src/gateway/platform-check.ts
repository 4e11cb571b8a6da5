// What this runtime cannot do is a start-up error naming the route, not a failure on some later request.
import { ConfigError } from "../errors.ts";
import type { Platform } from "../platform/types.ts";
import type { GatewayConfig, Target } from "./config-types.ts";

/** Throws a ConfigError for a unix: target without Unix sockets, or path-info=full without a filesystem. */
export function checkPlatform(config: GatewayConfig, platform: Pick<Platform, "unixSockets" | "isFile" | "siteFiles">): void {
  const targets: Array<{ where: string; target: Target }> = [];
  for (const r of config.routes) if (r.target.kind === "fcgi") targets.push({ where: `route "${r.prefix}"`, target: r.target });
  for (const b of config.balancers) for (const m of b.members) targets.push({ where: `balancer://${b.name} member ${m.target.text}`, target: m.target });
  if (!platform.unixSockets) {
    for (const { where, target } of targets) {
      if (target.endpoint.kind === "unix") throw new ConfigError(where, `${target.text}: this runtime has no Unix sockets; use fcgi://host:port`);
    }
  }
  if (platform.siteFiles === null) {
    for (const r of config.routes) {
      if (r.site !== undefined) {
        throw new ConfigError(`route "${r.prefix}"`, `a site (root ${r.site.root}) needs a filesystem, which this runtime does not have: serve its files elsewhere and proxy the scripts with a plain route`);
      }
    }
  }
  if (platform.isFile === null) {
    for (const r of config.routes) {
      if (r.pathInfo === "full") throw new ConfigError(`route "${r.prefix}"`, "path-info=full needs a filesystem, which this runtime does not have");
    }
  }
}
