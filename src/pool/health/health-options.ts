// Active health checks per balancer member (mod_proxy_hcheck's idea, spoken over FastCGI).

export type HealthMethod = "NONE" | "TCP" | "FCGI";

export interface HealthOptions {
  /** NONE: no checks; TCP: the connection opens; FCGI: a FastCGI request to `uri` answers as `expect` says. */
  readonly method: HealthMethod;
  /** SCRIPT_NAME/SCRIPT_FILENAME/REQUEST_URI of the check request, e.g. PHP-FPM's ping.path `/ping`. */
  readonly uri: string;
  /** Passing statuses (empty: 200-399, mod_proxy_hcheck's default) and an optional body pattern. */
  readonly expectStatus: readonly number[];
  readonly expectBody: RegExp | undefined;
  readonly intervalMs: number;
  /** Consecutive passes that bring a failed member back; consecutive failures that take it out. */
  readonly passes: number;
  readonly fails: number;
}

export const HEALTH_DEFAULTS: HealthOptions = {
  method: "NONE",
  uri: "/",
  expectStatus: [],
  expectBody: undefined,
  intervalMs: 30_000, // mod_proxy_hcheck's hcinterval default
  passes: 1,
  fails: 1,
};
