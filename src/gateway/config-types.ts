// The validated configuration the gateway runs: plain values that every parser (CLI flags, JSON file, later
// Apache import, all in src/config/) produces. Units are normalised: milliseconds and bytes.
import type { Endpoint } from "../transport/types.ts";
import type { PoolOptions } from "../pool/backend-pool.ts";
import type { BalancerOptions } from "../pool/balancer/balancer.ts";
import type { MemberOptions } from "../pool/balancer/member.ts";
import type { HealthOptions } from "../pool/health/health-options.ts";
import type { SetEnvIfRule } from "../cgi/apply-env-rules.ts";
import type { BackendType, PathInfoMode } from "../cgi/script-paths.ts";
import type { SiteConfig } from "../site/types.ts";

export type { BackendType, PathInfoMode, SetEnvIfRule, SiteConfig };

/** A pool key as written (`max=8`) and the pool options it sets: a shared pool's later definitions are checked. */
export interface WrittenPoolKey {
  readonly key: string;
  readonly text: string;
  readonly sets: Readonly<Partial<PoolOptions>>;
}

/** The pool keys of one route or member, in the order written. */
export type PoolKeys = readonly WrittenPoolKey[];

/** What to do with a request body of unknown length. */
export type RequestBuffering = "spool" | "stream";

/** A parsed `fcgi://host[:port]/path` or `unix:/sock|fcgi://localhost/path` target. */
export interface Target {
  readonly kind: "fcgi";
  readonly endpoint: Endpoint;
  /** `proxy:fcgi://host[:port]`, as Apache puts it before the path in SCRIPT_FILENAME (port 8000 left out). */
  readonly filenamePrefix: string;
  /** The decoded path of the target URL, e.g. `/srv/app/` (may be empty). */
  readonly path: string;
  /** The target as configured, for logs and errors. */
  readonly text: string;
  /** `app:NAME`: the supervised app whose private socket `endpoint` is. */
  readonly app?: string;
}

/** A route to `balancer://name`: its members are configured apart. */
export interface BalancerTarget {
  readonly kind: "balancer";
  readonly name: string;
  readonly text: string;
}

/** A static-only site (`--site "/ ROOT none"`): nothing is sent anywhere. */
export interface NoTarget {
  readonly kind: "none";
  readonly text: "none";
}

/** What a route sends to: one backend, a balancer, or (a static-only site) nothing. */
export type RouteTarget = Target | BalancerTarget | NoTarget;

/** The keys of one route. */
export interface RouteOptions {
  readonly backendType: BackendType;
  readonly pathInfo: PathInfoMode;
  readonly documentRoot: string | undefined;
  readonly passAuthorization: boolean;
  readonly requestBuffering: RequestBuffering;
  readonly maxBody: number;
  readonly ioTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly env: ReadonlyArray<readonly [string, string]>;
  readonly setEnvIf: readonly SetEnvIfRule[];
  /** Connection pool of the backend (shared by every route that names the same address; the first wins). */
  readonly pool: PoolOptions;
  /** The pool keys as written, to name those a shared pool ignores. */
  readonly poolKeys: PoolKeys;
}

/** One ProxyPass-like route, or a site: a prefix, its target and keys. */
export interface RouteConfig extends RouteOptions {
  /** URL-path prefix, matched at a segment boundary. */
  readonly prefix: string;
  readonly target: RouteTarget;
  /** A site (`--site`, a JSON route with `root`): files from its document root, scripts to the target. */
  readonly site?: SiteConfig;
}

/** A BalancerMember: where it is, how the balancer weighs it, its pool and its health check. */
export interface MemberConfig {
  readonly target: Target;
  readonly member: MemberOptions;
  readonly pool: PoolOptions;
  /** The pool keys as written, to name those a shared pool ignores. */
  readonly poolKeys: PoolKeys;
  readonly health: HealthOptions;
}

/** A balancer://NAME with its members. */
export interface BalancerConfig {
  readonly name: string;
  readonly options: BalancerOptions;
  readonly members: readonly MemberConfig[];
}

/** Everything a gateway runs with. */
export interface GatewayConfig {
  readonly listen: { readonly host: string; readonly port: number };
  readonly documentRoot: string;
  readonly routes: readonly RouteConfig[];
  readonly balancers: readonly BalancerConfig[];
  /** SERVER_SOFTWARE. */
  readonly serverSoftware: string;
  /** CGI response head limits, bytes. */
  readonly maxHeadLine: number;
  readonly maxHead: number;
  /** Cap on logged STDERR bytes per request. */
  readonly maxStderrLog: number;
  /** Least severe level logged: info (an access line per request), warn or error. */
  readonly logLevel: "info" | "warn" | "error";
}

