// The gateway's public shapes: what it is handed and what it offers.
import type { ConnectionInfo } from "../connection-info.ts";
import type { PoolStats } from "../pool/backend-pool.ts";
import type { Connector } from "../transport/types.ts";
import type { IsFile, LogLevel, LogSink, SiteFiles, TempStore } from "../platform/types.ts";
import type { MemberStats } from "./backends.ts";
import type { ProxyRequest, ProxyResponse } from "./messages.ts";

/**
 * What may replace the running runtime's services (src/platform/current.ts) for one gateway. Every field is
 * optional: the defaults are the runtime's own.
 */
export interface GatewayOptions {
  /** Socket factory; defaults to the running runtime's shim. */
  readonly connector?: Connector;
  /**
   * Where log lines go: `(level, line) => void`, one call per event, the line already formatted
   * (`TIME LEVEL req=… key=value … message`). Default: stderr, batched per timer tick (Workers: a line at once).
   */
  readonly log?: LogSink;
  /** Lines below this level are not logged (default: the config's `log-level`, else info: one access line per request). */
  readonly logLevel?: LogLevel;
  /** Filesystem probe for path-info=full; defaults to node:fs; `null` where there is no filesystem (Workers). */
  readonly isFile?: IsFile | null;
  /** File access for sites; defaults to node:fs; `null` where there is no filesystem (Workers: a site is a config error). */
  readonly siteFiles?: SiteFiles | null;
  /** Temp files for spooling; `null` spools in memory only (Workers). */
  readonly tempStore?: TempStore | null;
  /** In-memory spool cap when there is no temp store, bytes (default 32 MiB). */
  readonly memorySpoolCap?: number;
  /**
   * false where a socket cannot outlive the request that opened it (Workers, the default there): every request
   * gets its own connection, and there is no GET_VALUES probe and no health-check timer.
   */
  readonly connectionsOutliveRequests?: boolean;
  /** false where the runtime cannot open Unix sockets (Workers): a unix: target is a configuration error. */
  readonly unixSockets?: boolean;
}

/** Per-call choices of the server adapter that hands the gateway a request. */
export interface FetchOptions {
  /**
   * The request arrives under this path prefix (a framework route such as Hono's `/php/*`): routes match the
   * path after it, while SCRIPT_NAME and REQUEST_URI still show the whole path the client sent.
   */
  readonly mount?: string;
  /**
   * Hand the response body over in one chunk per backend socket read rather than one per STDOUT record. For a
   * server that writes each chunk with its own syscall (Node's): a 1 GiB download ran ~1.4× faster with it.
   * Deno's and Bun's servers batch queued chunks themselves and only lose the copy.
   */
  readonly mergeChunks?: boolean;
  /**
   * A response body that fails after its head is errored with no reason (`undefined`) instead of the
   * GatewayError, for a server that prints every failed body's error (Bun's does, with a code frame): the
   * gateway has logged it already, in one line.
   */
  readonly quietBodyErrors?: boolean;
}

/** One route's counters and its pool, as `stats()` reports them. */
export interface RouteStats {
  /** The route's path prefix. */
  readonly prefix: string;
  /** The target as configured (`fcgi://…`, `unix:…|fcgi://…`, `balancer://…`). */
  readonly target: string;
  /** Requests routed here. */
  readonly requests: number;
  /** Requests that ended with a gateway error (4xx/5xx of our own, cut responses); client aborts excluded. */
  readonly errors: number;
  readonly inFlight: number;
  /** The route's pool; for a balancer, its members' pools added up. */
  readonly pool: PoolStats;
  /** Per member, for a balancer:// route. */
  readonly members?: readonly MemberStats[];
}

/** A running gateway: hand it requests; `close()` ends every socket and timer it opened. */
export interface Gateway {
  /**
   * Proxies one request to the route it matches and resolves with the response as soon as its head is known;
   * the body streams. Never rejects for a request's failure: a 4xx/5xx answer carries it, and the log says why.
   * `info` is the client connection (without it, the URL's host and port stand in and REMOTE_ADDR is empty).
   */
  fetch(request: Request, info?: ConnectionInfo, options?: FetchOptions): Promise<Response>;
  /**
   * fetch() without the Fetch objects: for a server adapter that writes the answer itself (see messages.ts).
   * A Request is a ProxyRequest.
   */
  respond(request: ProxyRequest, info?: ConnectionInfo, options?: FetchOptions): Promise<ProxyResponse>;
  /**
   * Refuses new requests (503), cuts the ones still running (each logged once as `status=cut-at-shutdown`;
   * a response already under way ends incomplete), then closes every backend connection and timer.
   */
  close(): Promise<void>;
  /** Counters per route and the requests in flight, read at the moment of the call. */
  stats(): { readonly routes: RouteStats[]; readonly inFlight: number };
}
