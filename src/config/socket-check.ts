// Unix socket targets that do not exist at start-up: warned about, not refused, since the application may
// create its socket later (a supervisor starting PHP-FPM after the gateway).
import type { ConfigWarn } from "./gateway-config.ts";
import type { GatewayConfig, Target } from "./types.ts";

/** Warns once per missing socket path, naming the first route or member that uses it. */
export function warnMissingSockets(config: GatewayConfig, exists: (path: string) => boolean, warn: ConfigWarn): void {
  const seen = new Set<string>();
  const check = (where: string, target: Target) => {
    const e = target.endpoint;
    if (e.kind !== "unix" || seen.has(e.path)) return;
    seen.add(e.path);
    if (!exists(e.path)) warn(where, `${e.path} does not exist (yet): requests get 503 until the FastCGI application creates it`);
  };
  for (const r of config.routes) if (r.target.kind === "fcgi") check(`route "${r.prefix}"`, r.target);
  for (const b of config.balancers) for (const m of b.members) check(`balancer://${b.name} member ${m.target.text}`, m.target);
}
