// The JSON configuration's shape, for TypeScript users who write it as an object literal. Route, member and
// balancer keys are the CLI's key=value names (see the README's tables); values may be strings, numbers or
// booleans, as in the file.

export type JsonScalar = string | number | boolean;

export interface JsonSetEnvIfRule {
  if?: { var: string; matches: string } | { header: string; matches: string };
  set?: Record<string, string>;
  unset?: string[];
}

export interface JsonRoute {
  path: string;
  /** `fcgi://host:port/path`, `unix:/sock|fcgi://localhost/path` or `balancer://name`. */
  target: string;
  env?: Record<string, string>;
  "set-env-if"?: JsonSetEnvIfRule[];
  [key: string]: JsonScalar | Record<string, string> | JsonSetEnvIfRule[] | undefined;
}

export interface JsonMember {
  url: string;
  [key: string]: JsonScalar;
}

export interface JsonBalancer {
  members: JsonMember[];
  [key: string]: JsonScalar | JsonMember[];
}

export interface JsonConfig {
  listen?: string;
  "document-root"?: string;
  routes?: JsonRoute[];
  balancers?: Record<string, JsonBalancer>;
  "max-head-line"?: JsonScalar;
  "max-head"?: JsonScalar;
}
