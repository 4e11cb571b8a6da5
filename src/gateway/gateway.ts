// createGateway(config): the library entry. Turns a request into a FastCGI exchange and back: fetch() takes
// and gives Fetch objects, respond() the plain shapes of messages.ts.
// Nothing starts at creation: sockets and timers start with the first request, and close() ends them all.
import { applyEnvRules } from "../cgi/apply-env-rules.ts";
import { buildEnv } from "../cgi/env.ts";
import { scriptPaths, type IsFile } from "../cgi/script-paths.ts";
import { decodeRequestPath } from "../cgi/url-path.ts";
import type { GatewayConfig, RouteConfig } from "../config/types.ts";
import type { ConnectionInfo } from "../connection-info.ts";
import { BadRequest, ConnectFailed, CutAtShutdown, GatewayError, HeaderFieldsTooLarge, NotFound, ServiceUnavailable } from "../errors.ts";
import { BackendPool, type PoolStats } from "../pool/backend-pool.ts";
import { ParamTooLargeError } from "../protocol/errors.ts";
import { encodeRequestHead } from "../protocol/request-head.ts";
import type { Connector } from "../transport/types.ts";
import { errorResponse } from "./error-response.ts";
import { Exchange } from "./exchange.ts";
import { ConfigError } from "../config/errors.ts";
import { Backends, type MemberBackend, type MemberStats, type RouteBackend } from "./backends.ts";
import type { ExchangeOutcome } from "./exchange.ts";
import type { Target } from "../config/types.ts";
import type { Balancer } from "../pool/balancer/balancer.ts";
import { sessionTarget } from "../pool/balancer/balancer.ts";
import type { Member } from "../pool/balancer/member.ts";

import { flushLog, Logger, type LogLevel, type LogSink } from "./log.ts";
import { planBody, type BodyPlan } from "./request-body.ts";
import { matchRoute } from "./router.ts";
import { requestTarget } from "./request-target.ts";
import { toResponse, type ProxyRequest, type ProxyResponse } from "./messages.ts";
import { prefixMatches } from "../config/prefix.ts";
import type { TempStore } from "./temp-store.ts";
import { PerItemTicker, SharedTicker, tickPeriod, type Ticker } from "./ticker.ts";

export interface GatewayOptions {
  /** Socket factory; defaults to the running runtime's shim. */
  readonly connector?: Connector;
  /**
   * Where log lines go: `(level, line) => void`, one call per event, the line already formatted
   * (`TIME LEVEL req=… key=value … message`). Default: stderr, batched per timer tick.
   */
  readonly log?: LogSink;
  /** Lines below this level are not logged (default info: one access line per request). */
  readonly logLevel?: LogLevel;
  /** Filesystem probe for path-info=full; defaults to node:fs; `null` where there is no filesystem (Workers). */
  readonly isFile?: IsFile | null;
  /** Temp files for spooling; `null` spools in memory only (Workers). */
  readonly tempStore?: TempStore | null;
  /** In-memory spool cap when there is no temp store. */
  readonly memorySpoolCap?: number;
  /**
   * false where a socket cannot outlive the request that opened it (Workers): every request gets its own
   * connection, and there is no GET_VALUES probe and no health-check timer.
   */
  readonly connectionsOutliveRequests?: boolean;
  /** false where the runtime cannot open Unix sockets (Workers): a unix: target is a configuration error. */
  readonly unixSockets?: boolean;
}

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

export interface RouteStats {
  readonly prefix: string;
  readonly target: string;
  readonly requests: number;
  readonly errors: number;
  readonly inFlight: number;
  /** The route's pool; for a balancer, its members' pools added up. */
  readonly pool: PoolStats;
  /** Per member, for a balancer:// route. */
  readonly members?: readonly MemberStats[];
}

export interface Gateway {
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
  stats(): { readonly routes: RouteStats[]; readonly inFlight: number };
}

interface LiveRoute {
  readonly prefix: string;
  readonly config: RouteConfig;
  readonly backend: RouteBackend;
  requests: number;
  errors: number;
  inFlight: number;
}

export function createGateway(config: GatewayConfig, options: GatewayOptions = {}): Gateway {
  const log = new Logger(options.log, options.logLevel ?? config.logLevel);
  let connectorPromise: Promise<Connector> | undefined;
  const connector = () =>
    (connectorPromise ??= options.connector
      ? Promise.resolve(options.connector)
      : import("../transport/connector.ts").then((m) => m.runtimeConnector()));
  checkPlatform(config, options);
  const isFile: IsFile | undefined = options.isFile === null
    ? undefined
    : options.isFile ?? (async (p) => (await import("../transport/files.ts")).isFile(p));
  const tempStore: TempStore | undefined = options.tempStore === null
    ? undefined
    : options.tempStore ?? (async () => (await import("../transport/files.ts")).createTempFile());

  const backends = new Backends(config, connector, (fields, message) => log.log("warn", fields, message), options.connectionsOutliveRequests !== false);
  const routes: LiveRoute[] = config.routes.map((r) => ({
    prefix: r.prefix,
    config: r,
    backend: backends.forRoute(r),
    requests: 0,
    errors: 0,
    inFlight: 0,
  }));
  const limits = { maxLine: config.maxHeadLine, maxHead: config.maxHead };
  const period = tickPeriod(Math.min(...config.routes.map((r) => r.ioTimeoutMs)));
  const ticker: Ticker<Exchange> = options.connectionsOutliveRequests === false ? new PerItemTicker(period) : new SharedTicker(period);
  let nextId = 0;
  /** Request ids are `PREFIX-N`: the prefix, drawn per gateway, keeps ids apart across processes and workers. */
  const idPrefix = randomPrefix();
  /** Errors the exchange already logged (its `done` line), so the request's catch does not log them twice. */
  const logged = new WeakSet<Error>();
  let inFlight = 0;
  let closed = false;

  async function handle(request: ProxyRequest, info: ConnectionInfo, id: number, infoGiven: boolean, opts: FetchOptions | undefined): Promise<ProxyResponse> {
    const mount = opts?.mount ?? "";
    const started = Date.now();
    const method = request.method;
    let requestUri = info.rawTarget ?? request.url;
    const reqId = () => `${idPrefix}-${id}`;
    /** The route as the client sees it: under a mount point (Hono's `/php/*`), the mount plus the prefix. */
    const shownRoute = (r: RouteConfig | undefined) => r === undefined ? undefined : mount === "" ? r.prefix : joinMount(mount, r.prefix);

    /** The one access line of a request (failed balancer attempts before it are warnings of their own). */
    function access(level: LogLevel, route: RouteConfig | undefined, backend: string | undefined, status: number | string, bytes: number | undefined, message?: string): void {
      if (!log.enabled(level)) return;
      log.log(level, {
        req: reqId(),
        client: info.remoteAddress || undefined,
        method,
        uri: requestUri.length > 300 ? requestUri.slice(0, 300) + "..." : requestUri,
        route: shownRoute(route),
        backend,
        status,
        bytes,
        ms: Date.now() - started,
        ua: shownAgent(request.headers.get("user-agent")),
      }, message);
    }

    function reject(error: GatewayError, route?: LiveRoute): ProxyResponse {
      access(error.status >= 500 ? "error" : "warn", route?.config, route?.config.target.text, error.status, undefined, error.message);
      if (route) route.errors++;
      request.body?.cancel().catch(() => {});
      return errorResponse(error);
    }

    const target_ = requestTarget(request.url, info);
    if (target_ instanceof GatewayError) return reject(target_);
    // Bun resolves an invalid Host away instead of refusing it; refuse it here for every runtime, as Apache does.
    const host = request.headers.get("host");
    if (host !== null && !VALID_HOST.test(host)) return reject(new BadRequest(`invalid Host header ${JSON.stringify(host.slice(0, 100))}`));
    const query = target_.query;
    requestUri = target_.uri;
    if (closed) return reject(new ServiceUnavailable("gateway is shutting down"));
    let path: string;
    try {
      path = decodeRequestPath(target_.path);
    } catch (e) {
      return reject(e as GatewayError);
    }
    let routed = path;
    if (mount !== "") {
      if (!prefixMatches(mount, path)) return reject(new NotFound(`${path} is outside the mount point ${mount}`));
      routed = path.slice(mount.endsWith("/") ? mount.length - 1 : mount.length) || "/";
    }
    const hit = matchRoute(routes, routed);
    if (!hit) return reject(new NotFound(`no route for ${path}`));
    const live = hit.route;
    const route = live.config;
    live.requests++;
    const documentRoot = route.documentRoot ?? config.documentRoot;

    let body: BodyPlan;
    try {
      const planned = planBody(request, {
        maxBody: route.maxBody,
        buffering: route.requestBuffering,
        tempStore,
        memoryOnlyCap: options.memorySpoolCap ?? 32 * 1024 * 1024,
      });
      body = planned instanceof Promise ? await planned : planned; // no await (a microtask) for no body
    } catch (e) {
      return reject(e instanceof GatewayError ? e : new BadRequest(`reading the request body failed: ${(e as Error).message}`), live);
    }

    /** One exchange with one backend. Rejects with ConnectFailed when nothing could be sent. */
    const attempt = async (target: Target, pool: BackendPool, extraEnv: ReadonlyArray<readonly [string, string]>,
      finished: (outcome: ExchangeOutcome) => void): Promise<ProxyResponse> => {
      let head: Uint8Array;
      try {
        const paths = scriptPaths({
          target,
          backendType: route.backendType,
          pathInfoMode: route.pathInfo,
          documentRoot,
          uriPath: path,
          rest: hit.rest,
        }, isFile);
        const script = paths instanceof Promise ? await paths : paths;
        const env = buildEnv({
          method,
          requestUri,
          query,
          headers: request.headers,
          conn: info,
          script,
          documentRoot,
          serverSoftware: config.serverSoftware,
          contentLength: body.length,
          passAuthorization: route.passAuthorization,
          urlHost: infoGiven ? "" : urlHost(request.url),
        });
        for (const [k, v] of extraEnv) env.set(k, v);
        if (route.env.length > 0 || route.setEnvIf.length > 0) applyEnvRules(env, route.env, route.setEnvIf, request.headers);
        head = encodeRequestHead({
          requestId: 1,
          keepConn: pool.keepConn,
          params: env,
          ...(body.kind === "inline" ? { stdin: body.bytes } : body.kind === "none" ? { stdin: EMPTY } : {}),
        });
      } catch (e) {
        if (e instanceof ParamTooLargeError) throw new HeaderFieldsTooLarge(e.message);
        throw e;
      }
      live.inFlight++;
      inFlight++;
      const exchange = new Exchange({
        pool,
        connectTimeoutMs: route.connectTimeoutMs,
        ioTimeoutMs: route.ioTimeoutMs,
        limits,
        maxStderr: config.maxStderrLog,
        head,
        body,
        discardBody: method === "HEAD",
        mergeChunks: opts?.mergeChunks === true,
        quietBodyErrors: opts?.quietBodyErrors === true,
        retryable: IDEMPOTENT.has(method) && body.kind !== "stream",
        clientGone: () => info.clientGone ?? request.signal,
        ticker,
        stderrLine: (line) => log.log("warn", { req: reqId(), route: shownRoute(route) }, `stderr: ${line}`),
        done: (outcome) => {
          live.inFlight--;
          inFlight--;
          finished(outcome);
          const error = outcome.error;
          // A balancer's failed connect is not the request's answer: balanced() warns and tries another member.
          if (error instanceof ConnectFailed && live.backend.kind === "balancer") return;
          if (error) logged.add(error);
          if (error instanceof CutAtShutdown) {
            live.errors++;
            access("warn", route, target.text, "cut-at-shutdown", outcome.bytesOut, error.message);
            return;
          }
          if (error && !outcome.clientAborted) live.errors++;
          if (outcome.noInputFile && route.backendType === "FPM") {
            access("warn", route, target.text, outcome.status, outcome.bytesOut, 'the backend answered "No input file specified.", as ' +
              "php-cgi does to the FPM-style SCRIPT_FILENAME: set backend-type=GENERIC on this route");
            return;
          }
          access(error && !outcome.clientAborted ? "error" : "info", route, target.text,
            outcome.clientAborted ? "client-aborted" : outcome.status, outcome.bytesOut, error?.message);
        },
      });
      return exchange.run();
    };

    try {
      const backend = live.backend;
      if (backend.kind === "single") return await attempt(backend.target, backend.pool, [], () => {});
      return await balanced(backend.balancer, attempt);
    } catch (e) {
      if (e instanceof GatewayError) {
        // Errors from the exchange itself were logged by `done`; the rest (431, 403, 503 no member) here.
        return logged.has(e) ? errorResponse(e) : reject(e, live);
      }
      throw e;
    }

    /**
     * Apache's proxy_handler loop over a balancer: pick a member, and when connecting to it fails (nothing was
     * sent, so this is always safe), put it in error and pick another, up to maxattempts.
     */
    async function balanced(
      balancer: Balancer<MemberBackend>,
      run: typeof attempt,
    ): Promise<ProxyResponse> {
      const tried = new Set<Member<MemberBackend>>();
      const cookie = request.headers.get("cookie");
      const session = sessionTarget(path, query === "" && !requestUri.includes("?") ? null : query);
      const envSoFar = new Map<string, string>();
      for (let attempts = 0; ; attempts++) {
        const now = Date.now();
        const pick = balancer.pick({ target: session, cookie }, now, tried);
        if (pick.kind !== "member") {
          throw new ServiceUnavailable(pick.reason === "nofailover"
            ? `${balancer.url}: the session's member is unavailable and nofailover is on`
            : `${balancer.url}: no usable member`);
        }
        const member = pick.member;
        balancer.started(member);
        tried.add(member);
        // Apache keeps what every attempt set (BALANCER_ROUTE_CHANGED from an earlier one stays).
        for (const [k, v] of balancer.env(pick)) envSoFar.set(k, v);
        try {
          return await run(member.payload.target, member.payload.pool, [...envSoFar], (outcome) => {
            balancer.finished(member, outcome.backendWritten, outcome.backendRead);
            if (!outcome.clientAborted) balancer.noteStatus(member, outcome.status, Date.now());
          });
        } catch (e) {
          if (!(e instanceof ConnectFailed)) throw e;
          const inError = member.markError(Date.now());
          log.log("warn", { req: reqId(), route: shownRoute(route), member: member.name },
            `balancer attempt failed: ${e.message}${inError ? `; member in error for ${member.retryMs / 1000} s` : ""}`);
          if (member.usable || attempts >= balancer.maxAttempts) throw e;
        }
      }
    }
  }

  function respond(request: ProxyRequest, info?: ConnectionInfo, fetchOptions?: FetchOptions): Promise<ProxyResponse> {
    if (nextId === 0 && options.connectionsOutliveRequests !== false) backends.health.start(); // timers start with the first request
    return handle(request, info ?? defaultInfo(request), ++nextId, info !== undefined, fetchOptions);
  }

  return {
    fetch: (request, info, fetchOptions) => respond(request, info, fetchOptions).then(toResponse),
    respond,
    async close() {
      closed = true;
      for (const exchange of ticker.live()) exchange.cut(new CutAtShutdown("cut by the gateway at shutdown: still running when it stopped"));
      backends.close();
      ticker.close();
      flushLog();
    },
    stats() {
      return {
        inFlight,
        routes: routes.map((r) => {
          const common = { prefix: r.config.prefix, target: r.config.target.text, requests: r.requests, errors: r.errors, inFlight: r.inFlight };
          if (r.backend.kind === "single") return { ...common, pool: r.backend.pool.stats() };
          const members = r.backend.balancer.members.map((m) => Backends.memberStats(m));
          return { ...common, pool: sumPools(members.map((m) => m.pool)), members };
        }),
      };
    },
  };
}

const EMPTY = new Uint8Array(0);
/** Methods a stale-connection retry may send twice (RFC 9110 §9.2.2). */
const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE"]);
/** RFC 3986 host (reg-name or IP literal) with an optional port. */
const VALID_HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~!$&'()*+,;=%-]*)(?::\d*)?$/;


/** A short random id prefix per gateway (6 hex digits). */
function randomPrefix(): string {
  const b = crypto.getRandomValues(new Uint8Array(3));
  return ((b[0]! << 16) | (b[1]! << 8) | b[2]!).toString(16).padStart(6, "0");
}

/** `/php` + `/` → `/php/`; `/php` + `/x/` → `/php/x/`. */
function joinMount(mount: string, prefix: string): string {
  return (mount.endsWith("/") ? mount.slice(0, -1) : mount) + prefix;
}

/** The User-Agent as logged: capped, so a client cannot make a line huge. */
function shownAgent(ua: string | null): string | undefined {
  if (ua === null || ua === "") return undefined;
  return ua.length > 200 ? ua.slice(0, 200) + "..." : ua;
}

function urlHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return "";
  }
}

/** When the caller gives no connection info (plain `fetch(request)`), take what the URL says. */
function defaultInfo(request: ProxyRequest): ConnectionInfo {
  let port = 0;
  let host = "";
  let tls = false;
  try {
    const u = new URL(request.url);
    host = u.hostname;
    tls = u.protocol === "https:";
    port = u.port ? Number(u.port) : tls ? 443 : 80;
  } catch {
    // handled by the caller
  }
  return { remoteAddress: "", localAddress: host, localPort: port, tls };
}

function sumPools(pools: readonly PoolStats[]): PoolStats {
  const sum = (k: Exclude<keyof PoolStats, "multiplexing">) => pools.reduce((n, p) => n + p[k], 0);
  return {
    open: sum("open"), busy: sum("busy"), idle: sum("idle"), waiting: sum("waiting"), connects: sum("connects"),
    connectFailures: sum("connectFailures"), reuses: sum("reuses"), multiplexing: pools.some((p) => p.multiplexing),
    max: sum("max"), unsafeFresh: sum("unsafeFresh"), retries: sum("retries"), starveCloses: sum("starveCloses"),
  };
}

/** What this runtime cannot do is a start-up error naming the route, not a failure on some later request. */
function checkPlatform(config: GatewayConfig, options: GatewayOptions): void {
  const targets: Array<{ where: string; target: Target }> = [];
  for (const r of config.routes) if (r.target.kind === "fcgi") targets.push({ where: `route "${r.prefix}"`, target: r.target });
  for (const b of config.balancers) for (const m of b.members) targets.push({ where: `balancer://${b.name} member ${m.target.text}`, target: m.target });
  if (options.unixSockets === false) {
    for (const { where, target } of targets) {
      if (target.endpoint.kind === "unix") throw new ConfigError(where, `${target.text}: this runtime has no Unix sockets; use fcgi://host:port`);
    }
  }
  if (options.isFile === null) {
    for (const r of config.routes) {
      if (r.pathInfo === "full") throw new ConfigError(`route "${r.prefix}"`, "path-info=full needs a filesystem, which this runtime does not have");
    }
  }
}
