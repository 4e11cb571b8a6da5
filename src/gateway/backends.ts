// What each route sends its requests to, built once at start-up: one pool per backend address (shared by the
// routes and members that name it, the first definition's pool keys winning, as Apache shares a worker), and
// one Balancer per balancer:// with its members' pools and health checks.
import type { BalancerConfig, GatewayConfig, MemberConfig, PoolKeys, RouteConfig, Target } from "./config-types.ts";
import { endpointKey, endpointText } from "../pool/endpoint.ts";
import { BackendPool, type PoolOptions, type PoolPlatform, type PoolStats } from "../pool/backend-pool.ts";
import type { Platform } from "../platform/types.ts";
import { appConnector } from "./app-connector.ts";
import { Balancer } from "../pool/balancer/balancer.ts";
import { Member } from "../pool/balancer/member.ts";
import { HealthChecker, type CheckedMember } from "../pool/health/health-checker.ts";

/** What a balancer member carries for the gateway. */
export interface MemberBackend {
  readonly target: Target;
  readonly pool: BackendPool;
}

export type RouteBackend =
  | { readonly kind: "single"; readonly target: Target; readonly pool: BackendPool }
  | { readonly kind: "balancer"; readonly balancer: Balancer<MemberBackend> }
  | { readonly kind: "none" };

/** One balancer member's state and counters, as `stats()` reports them. */
export interface MemberStats {
  readonly name: string;
  /** Apache's status letters in force, "" when fine ("E" error, "C" health check failed, "D" disabled...). */
  readonly state: string;
  readonly usable: boolean;
  readonly inFlight: number;
  readonly requests: number;
  readonly errors: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly pool: PoolStats;
}

const NO_BACKEND: RouteBackend = { kind: "none" };

export class Backends {
  /** One pool per address, with the route or member that defined it. */
  readonly #pools = new Map<string, { readonly pool: BackendPool; readonly where: string }>();
  readonly #balancers = new Map<string, Balancer<MemberBackend>>();
  readonly health: HealthChecker;
  readonly #platform: PoolPlatform;
  readonly #warn: (fields: Record<string, string>, message: string) => void;

  readonly #persistent: boolean;

  /** Where sockets cannot outlive a request (Workers: connectionsOutliveRequests false), no reuse and no probe. */
  constructor(config: GatewayConfig, platform: PoolPlatform & Pick<Platform, "connectionsOutliveRequests">, warn: (fields: Record<string, string>, message: string) => void) {
    this.#platform = platform;
    this.#warn = warn;
    this.#persistent = platform.connectionsOutliveRequests;
    const checked: CheckedMember[] = [];
    for (const b of config.balancers) {
      const balancer = this.#balancer(b);
      this.#balancers.set(b.name, balancer);
      b.members.forEach((m, i) => {
        const member = balancer.members[i]!;
        checked.push({ member, endpoint: m.target.endpoint, filenamePrefix: m.target.filenamePrefix, health: m.health, timeoutMs: Math.min(m.health.intervalMs, 5000) });
      });
    }
    this.health = new HealthChecker(checked, platform, (member, message) => warn({ member }, message));
  }

  /** The backend of a route (its pool is created on first sight of its address). */
  forRoute(route: RouteConfig): RouteBackend {
    const target = route.target;
    if (target.kind === "balancer") return { kind: "balancer", balancer: this.#balancers.get(target.name)! };
    if (target.kind === "none") return NO_BACKEND;
    return { kind: "single", target, pool: this.#pool(target, route.pool, route.poolKeys, `route "${route.prefix}"`) };
  }

  close(): void {
    this.health.stop();
    for (const { pool } of this.#pools.values()) pool.close();
  }

  static memberStats(m: Member<MemberBackend>): MemberStats {
    return {
      name: m.name,
      state: m.flags,
      usable: m.usable,
      inFlight: m.busy,
      requests: m.elected,
      errors: m.errors,
      bytesIn: m.bytesRead,
      bytesOut: m.bytesWritten,
      pool: m.payload.pool.stats(),
    };
  }

  #balancer(b: BalancerConfig): Balancer<MemberBackend> {
    const members = b.members.map((m: MemberConfig) =>
      new Member<MemberBackend>(m.target.text, m.member, {
        target: m.target,
        pool: this.#pool(m.target, m.pool, m.poolKeys, `balancer://${b.name} member ${m.target.text}`),
      }));
    return new Balancer(b.name, members, b.options);
  }

  #pool(target: Target, options: PoolOptions, keys: PoolKeys, where: string): BackendPool {
    const key = endpointKey(target.endpoint);
    if (!this.#persistent) options = { ...options, reuse: false, probe: false };
    const known = this.#pools.get(key);
    if (!known) {
      const platform = target.app === undefined ? this.#platform : { ...this.#platform, connector: appConnector(this.#platform.connector) };
      const pool = new BackendPool(target.endpoint, platform, options, (m) => this.#warn({ backend: target.text }, m));
      this.#pools.set(key, { pool, where });
      return pool;
    }
    // Apache too shares one worker per address and ignores a later definition's parameters, naming each one
    // (AH01146); only keys this definition writes, and that would change the pool, are worth a word.
    const ignored = differingPoolKeys(keys, known.pool.options);
    if (ignored.length > 0) {
      this.#warn({ backend: target.text }, `${where}: pool keys ${ignored.join(" ")} ignored: ${known.where} already ` +
        `defined the pool for ${endpointText(target.endpoint)} (one pool per address, as Apache's AH01146); set them there`);
    }
    return known.pool;
  }
}


/** The written keys (`max=8`) that would give `options` another value: what a shared pool ignores. */
function differingPoolKeys(keys: PoolKeys, options: PoolOptions): string[] {
  const out: string[] = [];
  for (const { key, text, sets } of keys) {
    if (Object.entries(sets).some(([field, value]) => options[field as keyof PoolOptions] !== value)) out.push(`${key}=${text}`);
  }
  return out;
}
