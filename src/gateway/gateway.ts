// createGateway(config): the library entry. Turns a Fetch Request into a FastCGI exchange and back.
// Nothing starts at creation: sockets and timers start with the first request, and close() ends them all.
import { applyEnvRules } from "../cgi/apply-env-rules.ts";
import { buildEnv } from "../cgi/env.ts";
import { scriptPaths, type IsFile, type ScriptPaths } from "../cgi/script-paths.ts";
import { decodeRequestPath } from "../cgi/url-path.ts";
import type { GatewayConfig, RouteConfig } from "../config/types.ts";
import type { ConnectionInfo } from "../connection-info.ts";
import { BadRequest, GatewayError, HeaderFieldsTooLarge, NotFound, ServiceUnavailable } from "../errors.ts";
import { BackendPool, type PoolStats } from "../pool/backend-pool.ts";
import { ParamTooLargeError } from "../protocol/errors.ts";
import { encodeRequestHead } from "../protocol/request-head.ts";
import type { Connector, Endpoint } from "../transport/types.ts";
import { errorResponse } from "./error-response.ts";
import { Exchange } from "./exchange.ts";
import { Logger, type LogSink } from "./log.ts";
import { planBody, type BodyPlan } from "./request-body.ts";
import { matchRoute } from "./router.ts";
import type { TempStore } from "./temp-store.ts";

export interface GatewayOptions {
  /** Socket factory; defaults to the running runtime's shim. */
  readonly connector?: Connector;
  readonly log?: LogSink;
  /** Filesystem probe for path-info=full; defaults to node:fs where the runtime has it. */
  readonly isFile?: IsFile;
  /** Temp files for spooling; `null` spools in memory only (Workers). */
  readonly tempStore?: TempStore | null;
  /** In-memory spool cap when there is no temp store. */
  readonly memorySpoolCap?: number;
}

export interface RouteStats {
  readonly prefix: string;
  readonly target: string;
  readonly requests: number;
  readonly errors: number;
  readonly inFlight: number;
  readonly pool: PoolStats;
}

export interface Gateway {
  fetch(request: Request, info?: ConnectionInfo): Promise<Response>;
  /** Closes every backend connection and timer. In-flight exchanges end with an error. */
  close(): Promise<void>;
  stats(): { readonly routes: RouteStats[]; readonly inFlight: number };
}

interface LiveRoute {
  readonly prefix: string;
  readonly config: RouteConfig;
  readonly pool: BackendPool;
  requests: number;
  errors: number;
  inFlight: number;
}

export function createGateway(config: GatewayConfig, options: GatewayOptions = {}): Gateway {
  const log = new Logger(options.log);
  let connectorPromise: Promise<Connector> | undefined;
  const connector = () =>
    (connectorPromise ??= options.connector
      ? Promise.resolve(options.connector)
      : import("../transport/connector.ts").then((m) => m.runtimeConnector()));
  const isFile: IsFile = options.isFile ?? (async (p) => (await import("../transport/files.ts")).isFile(p));
  const tempStore: TempStore | undefined = options.tempStore === null
    ? undefined
    : options.tempStore ?? (async () => (await import("../transport/files.ts")).createTempFile());

  // One pool per backend address, shared by the routes that name it.
  const pools = new Map<string, BackendPool>();
  const routes: LiveRoute[] = config.routes.map((r) => {
    const key = endpointKey(r.target.endpoint);
    let pool = pools.get(key);
    if (!pool) {
      pool = new BackendPool(r.target.endpoint, connector, r.pool, (m) => log.log("warn", { backend: r.target.text }, m));
      pools.set(key, pool);
    } else if (JSON.stringify(pool.options) !== JSON.stringify(r.pool)) {
      // Apache too shares one worker per address and ignores a later definition's parameters (AH01146).
      log.log("warn", { route: r.prefix, backend: r.target.text }, "pool keys ignored: an earlier route to the same backend set them");
    }
    return { prefix: r.prefix, config: r, pool, requests: 0, errors: 0, inFlight: 0 };
  });
  const limits = { maxLine: config.maxHeadLine, maxHead: config.maxHead };
  let nextId = 0;
  let inFlight = 0;
  let closed = false;

  async function handle(request: Request, info: ConnectionInfo, id: number, infoGiven: boolean): Promise<Response> {
    const started = Date.now();
    const method = request.method;
    let requestUri = info.rawTarget ?? request.url;
    const fields = () => ({ req: id, method, uri: requestUri.length > 300 ? requestUri.slice(0, 300) + "..." : requestUri });

    function reject(error: GatewayError, route?: LiveRoute): Response {
      log.log(error.status >= 500 ? "error" : "warn", {
        ...fields(),
        route: route?.config.prefix,
        backend: route?.config.target.text,
        status: error.status,
        ms: Date.now() - started,
      }, error.message);
      if (route) route.errors++;
      request.body?.cancel().catch(() => {});
      return errorResponse(error);
    }

    // Bun gives a relative URL when the request had no usable Host: resolve it against the listener.
    let url: URL;
    try {
      url = new URL(request.url, `http://${info.localAddress || "localhost"}`);
    } catch {
      return reject(new BadRequest(`unparsable request URL ${request.url.slice(0, 200)}`));
    }
    // The path and query exactly as sent where the runtime gives the raw request-target (Node): the URL
    // parser would turn "\\" into "/" and so route a path the client never sent.
    // Bun resolves an invalid Host away instead of refusing it; refuse it here for every runtime, as Apache does.
    const host = request.headers.get("host");
    if (host !== null && !VALID_HOST.test(host)) return reject(new BadRequest(`invalid Host header ${JSON.stringify(host.slice(0, 100))}`));
    const target = requestTarget(info.rawTarget, url);
    if (target instanceof GatewayError) return reject(target);
    requestUri = info.rawTarget ?? url.pathname + url.search;
    if (closed) return reject(new ServiceUnavailable("gateway is shutting down"));
    let path: string;
    try {
      path = decodeRequestPath(target.path);
    } catch (e) {
      return reject(e as GatewayError);
    }
    const hit = matchRoute(routes, path);
    if (!hit) return reject(new NotFound(`no route for ${path}`));
    const live = hit.route;
    const route = live.config;
    live.requests++;
    const documentRoot = route.documentRoot ?? config.documentRoot;

    let script: ScriptPaths;
    let body: BodyPlan;
    let head: Uint8Array;
    try {
      script = await scriptPaths({
        target: route.target,
        backendType: route.backendType,
        pathInfoMode: route.pathInfo,
        documentRoot,
        uriPath: path,
        rest: hit.rest,
      }, isFile);
      body = await planBody(request, {
        maxBody: route.maxBody,
        buffering: route.requestBuffering,
        tempStore,
        memoryOnlyCap: options.memorySpoolCap ?? 32 * 1024 * 1024,
      }).catch((e) => {
        throw e instanceof GatewayError ? e : new BadRequest(`reading the request body failed: ${(e as Error).message}`);
      });
      const env = buildEnv({
        method,
        requestUri,
        query: target.query,
        headers: request.headers,
        conn: info,
        script,
        documentRoot,
        serverSoftware: config.serverSoftware,
        contentLength: body.length,
        passAuthorization: route.passAuthorization,
        urlHost: infoGiven ? "" : url.host,
      });
      if (route.env.length > 0 || route.setEnvIf.length > 0) applyEnvRules(env, route.env, route.setEnvIf, request.headers);
      head = encodeRequestHead({
        requestId: 1,
        keepConn: live.pool.keepConn,
        params: env,
        ...(body.kind === "inline" ? { stdin: body.bytes } : body.kind === "none" ? { stdin: EMPTY } : {}),
      });
    } catch (e) {
      if (e instanceof ParamTooLargeError) return reject(new HeaderFieldsTooLarge(e.message), live);
      if (e instanceof GatewayError) return reject(e, live);
      throw e;
    }

    live.inFlight++;
    inFlight++;
    const exchange = new Exchange({
      pool: live.pool,
      connectTimeoutMs: route.connectTimeoutMs,
      ioTimeoutMs: route.ioTimeoutMs,
      limits,
      maxStderr: config.maxStderrLog,
      head,
      body,
      discardBody: method === "HEAD",
      retryable: IDEMPOTENT.has(method) && body.kind !== "stream",
      signal: request.signal,
      stderrLine: (line) => log.log("warn", { req: id, route: route.prefix }, `stderr: ${line}`),
      done: (outcome) => {
        live.inFlight--;
        inFlight--;
        if (outcome.error && !outcome.clientAborted) live.errors++;
        log.log(outcome.error && !outcome.clientAborted ? "error" : "info", {
          ...fields(),
          route: route.prefix,
          backend: route.target.text,
          status: outcome.clientAborted ? "client-aborted" : outcome.status,
          bytes: outcome.bytesOut,
          ms: Date.now() - started,
        }, outcome.error?.message);
      },
    });
    try {
      return await exchange.run();
    } catch (e) {
      // Already logged by `done`.
      return errorResponse(e);
    }
  }

  return {
    fetch(request, info) {
      return handle(request, info ?? defaultInfo(request), ++nextId, info !== undefined);
    },
    async close() {
      closed = true;
      for (const pool of pools.values()) pool.close();
    },
    stats() {
      return {
        inFlight,
        routes: routes.map((r) => ({
          prefix: r.config.prefix,
          target: r.config.target.text,
          requests: r.requests,
          errors: r.errors,
          inFlight: r.inFlight,
          pool: r.pool.stats(),
        })),
      };
    },
  };
}

const EMPTY = new Uint8Array(0);
/** Methods a stale-connection retry may send twice (RFC 9110 §9.2.2). */
const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE"]);
/** RFC 3986 host (reg-name or IP literal) with an optional port. */
const VALID_HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~!$&'()*+,;=%-]*)(?::\d*)?$/;


function endpointKey(e: Endpoint): string {
  return e.kind === "tcp" ? `tcp:${e.host}:${e.port}` : `unix:${e.path}`;
}

/** The raw path and query: from the request-target as sent (origin-form, Node) or else from the parsed URL. */
function requestTarget(rawTarget: string | undefined, url: URL): { path: string; query: string } | GatewayError {
  if (rawTarget === undefined || !rawTarget.startsWith("/")) return { path: url.pathname, query: url.search.slice(1) };
  // A request-target has no fragment (RFC 9112 §3.2); Apache refuses one too.
  if (rawTarget.includes("#")) return new BadRequest("fragment in the request-target");
  const q = rawTarget.indexOf("?");
  return q < 0 ? { path: rawTarget, query: "" } : { path: rawTarget.slice(0, q), query: rawTarget.slice(q + 1) };
}

/** When the caller gives no connection info (plain `fetch(request)`), take what the URL says. */
function defaultInfo(request: Request): ConnectionInfo {
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
