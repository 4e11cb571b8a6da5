// The JSON configuration's shape, for TypeScript users who write it as an object literal. Route, member and
// balancer keys are the CLI's key=value names (see the README's tables); values may be strings, numbers or
// booleans, as in the file.

/** A key's value: a string, number or boolean, read as its text (`"30"`, `30` and `"30s"`-style units as documented per key). */
export type JsonScalar = string | number | boolean;

export interface JsonSetEnvIfRule {
  if?: { var: string; matches: string } | { header: string; matches: string };
  set?: Record<string, string>;
  unset?: string[];
}

/**
 * One entry of `routes`: `path`, `target`, and any route key of the CLI (`timeout`, `backend-type`, `max`, ...).
 * With `root` it is a site: files from that document root, scripts to `target` (`none`: static only), and the
 * site keys (`try-files`, `index`, `split`, `hide`, `alias`, `precompressed`, `expires`; lists as arrays or
 * comma-separated strings).
 */
export interface JsonRoute {
  path: string;
  /** `fcgi://host:port/path`, `unix:/sock|fcgi://localhost/path` or `balancer://name` (on a site: no path, or `none`). */
  target: string;
  /** The document root of a site (relative: against the working directory). */
  root?: string;
  env?: Record<string, string>;
  "set-env-if"?: JsonSetEnvIfRule[];
  [key: string]: JsonScalar | JsonScalar[] | Record<string, string> | JsonSetEnvIfRule[] | undefined;
}

/** One balancer member: its `url` and any member key (`loadfactor`, `route`, `hcmethod`, pool keys, ...). */
export interface JsonMember {
  url: string;
  [key: string]: JsonScalar;
}

/** One entry of `balancers`: its `members` and any balancer key (`lbmethod`, `stickysession`, ...). */
export interface JsonBalancer {
  members: JsonMember[];
  [key: string]: JsonScalar | JsonMember[];
}

/**
 * The JSON configuration (the config file, the Workers binding, or an object for createGateway):
 *
 * ```ts
 * const config: JsonConfig = { routes: [{ path: "/", target: "fcgi://127.0.0.1:9000/srv/app/", timeout: "30" }] };
 * ```
 */
export interface JsonConfig {
  listen?: string;
  "document-root"?: string;
  routes?: JsonRoute[];
  balancers?: Record<string, JsonBalancer>;
  "max-head-line"?: JsonScalar;
  "max-head"?: JsonScalar;
}
