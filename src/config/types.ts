// The configuration's types live with the gateway that runs them (src/gateway/config-types.ts); the parsers
// here fill them, starting from these defaults.
import { POOL_DEFAULTS } from "../pool/backend-pool.ts";
import type { RouteOptions } from "../gateway/config-types.ts";

export type * from "../gateway/config-types.ts";

/** A route's keys when none is written. */
export const ROUTE_DEFAULTS: RouteOptions = {
  backendType: "FPM",
  pathInfo: "none",
  documentRoot: undefined,
  passAuthorization: true,
  requestBuffering: "spool",
  maxBody: 1024 ** 3, // Apache's LimitRequestBody default, 1 GiB
  ioTimeoutMs: 60_000, // Apache's Timeout
  connectTimeoutMs: 5_000,
  env: [],
  setEnvIf: [],
  pool: POOL_DEFAULTS,
  poolKeys: [],
};
