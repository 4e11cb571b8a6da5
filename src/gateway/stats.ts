// stats(): the routes' counters and pools at the moment of the call.
import type { PoolStats } from "../pool/backend-pool.ts";
import { Backends } from "./backends.ts";
import type { LiveRoute } from "./live-route.ts";
import type { RouteStats } from "./types.ts";

/** Every route's counters; a balancer's pool is its members' pools added up. */
export function routeStats(routes: readonly LiveRoute[]): RouteStats[] {
  return routes.map((r) => {
    const common = { prefix: r.config.prefix, target: r.config.target.text, requests: r.requests, errors: r.errors, inFlight: r.inFlight };
    if (r.backend.kind === "single") return { ...common, pool: r.backend.pool.stats() };
    if (r.backend.kind === "none") return { ...common, pool: sumPools([]) };
    const members = r.backend.balancer.members.map((m) => Backends.memberStats(m));
    return { ...common, pool: sumPools(members.map((m) => m.pool)), members };
  });
}

function sumPools(pools: readonly PoolStats[]): PoolStats {
  const sum = (k: Exclude<keyof PoolStats, "multiplexing">) => pools.reduce((n, p) => n + p[k], 0);
  return {
    open: sum("open"), busy: sum("busy"), idle: sum("idle"), waiting: sum("waiting"), connects: sum("connects"),
    connectFailures: sum("connectFailures"), reuses: sum("reuses"), multiplexing: pools.some((p) => p.multiplexing),
    max: sum("max"), unsafeFresh: sum("unsafeFresh"), retries: sum("retries"), starveCloses: sum("starveCloses"),
  };
}
