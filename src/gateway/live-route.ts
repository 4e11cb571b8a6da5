// A configured route as the running gateway holds it: its config, what it sends to, and its counters.
import type { RouteConfig } from "./config-types.ts";
import type { RouteBackend } from "./backends.ts";
import type { Site } from "../site/site.ts";

/** One route of a running gateway. */
export interface LiveRoute {
  readonly prefix: string;
  readonly config: RouteConfig;
  readonly backend: RouteBackend;
  /** The route's site, when it has a document root. */
  readonly site: Site | undefined;
  requests: number;
  errors: number;
  inFlight: number;
}
