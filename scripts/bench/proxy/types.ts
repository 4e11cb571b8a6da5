// What every proxy under test is put in front of, and what a started proxy looks like to the measurements.
import type { Proc } from "../procs.ts";

export type ProxyId = "nginx" | "apache" | "node" | "deno" | "bun";

export const PROXY_LABELS: Record<ProxyId, string> = {
  nginx: "nginx",
  apache: "Apache",
  node: "proxy-fcgi (Node)",
  deno: "proxy-fcgi (Deno)",
  bun: "proxy-fcgi (Bun)",
};

export interface Upstream {
  readonly port: number;
  /** Backend connections a proxy may hold: every proxy gets the same number. */
  readonly conns: number;
}

/**
 * The routes, the same on every proxy:
 *   /static/ → files from ProxyContext.staticRoot, served by the proxy itself (no backend)
 *   /sse/  → the streaming hello instance (one connection per request: streams are long, reuse is moot)
 *   /php/  → php-fpm, SCRIPT_FILENAME = docroot/hello.php
 *   /recycle/ → a php-fpm recycling its children (pm.max_requests=20), the same way
 *   /      → the hello instance, pooled, bodies up to MAX_BODY streamed
 */
export interface Upstreams {
  readonly hello: Upstream;
  readonly stream: Upstream;
  readonly php: Upstream & { readonly docroot: string };
  /** A second php-fpm whose children exit after 20 requests (pm.max_requests): /recycle/. */
  readonly recycle: Upstream & { readonly docroot: string };
}

/** Request bodies up to this size pass every proxy (the 1 GiB upload fits). */
export const MAX_BODY_BYTES = 2 * 1024 ** 3;

export interface ProxyContext {
  readonly dir: string;
  readonly upstreams: Upstreams;
  /** Per-request access log on (to a file in `dir`) or off, for every proxy alike. */
  readonly accessLog: boolean;
  /** The directory every proxy serves from disk under STATIC_PREFIX (static-files.ts). */
  readonly staticRoot: string;
}

export interface RunningProxy {
  readonly id: ProxyId;
  readonly label: string;
  readonly port: number;
  /** The process whose tree's CPU time and memory are this proxy's cost. */
  readonly proc: Proc;
  /** The command line, for BENCHMARKS.md. */
  readonly command: string;
  /** The generated configuration file, if any. */
  readonly configFile?: string;
  /** Log lines that report errors, for the report (error log, or the gateway's error-level lines). */
  errors(): string[];
}
