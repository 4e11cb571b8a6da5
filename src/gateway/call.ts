// One request through the gateway, from its route to its access line: sends it to a backend (an Exchange),
// hears how it ended and logs that once. Failures before any exchange are logged by reject(); an exchange's end,
// success or failure, by done(); a failed connect a balancer takes back, by connectFailed() as a warning.
import type { AbortHook, ConnectionInfo } from "../connection-info.ts";
import { ConnectFailed, CutAtShutdown, type GatewayError } from "../errors.ts";
import type { BackendPool } from "../pool/backend-pool.ts";
import { failedConnect } from "../pool/balancer/failover.ts";
import type { Member } from "../pool/balancer/member.ts";
import { shownAgent, shownRoute, shownUri } from "./access-log.ts";
import type { MemberBackend } from "./backends.ts";
import type { GatewayConfig, Target } from "./config-types.ts";
import { errorResponse } from "./error-response.ts";
import { Exchange, type ExchangeOutcome, type ExchangeOwner } from "./exchange.ts";
import { encodeHead, type HeadInput } from "./fcgi-request.ts";
import type { LiveRoute } from "./live-route.ts";
import type { Logger, LogLevel } from "./log.ts";
import type { ProxyRequest, ProxyResponse } from "./messages.ts";
import type { BodyPlan } from "./request-body.ts";
import { mayResend } from "./stale-retry.ts";
import type { Ticker } from "./ticker.ts";
import type { FetchOptions } from "./types.ts";
import type { IsFile } from "../cgi/script-paths.ts";
import type { HeadLimits } from "../cgi/response-head.ts";
import { statusText } from "../cgi/status-text.ts";
import type { SiteFiles } from "../platform/types.ts";
import type { SiteReply, SiteScript } from "../site/types.ts";

/** What every call of one gateway shares. */
export interface CallContext {
  readonly config: GatewayConfig;
  readonly log: Logger;
  readonly idPrefix: string;
  readonly ticker: Ticker<Exchange>;
  readonly limits: HeadLimits;
  readonly isFile: IsFile | undefined;
  /** File access for sites (undefined where there is none). */
  readonly siteFiles: SiteFiles | undefined;
  /** Requests running an exchange, over all routes. */
  inFlight: number;
}

const NO_ENV: ReadonlyArray<readonly [string, string]> = [];

/** One request: the steps of src/gateway/pipeline.ts fill it in, then send() runs it. */
export class Call implements ExchangeOwner, HeadInput {
  readonly ctx: CallContext;
  readonly request: ProxyRequest;
  readonly info: ConnectionInfo;
  readonly id: number;
  readonly opts: FetchOptions | undefined;
  readonly mount: string;
  readonly started = Date.now();
  readonly method: string;
  readonly serverSoftware: string;
  readonly urlHost: string;
  requestUri: string;
  query = "";
  path = "";
  rest = "";
  documentRoot = "";
  body!: BodyPlan;
  /** The script a site chose (its paths replace the route's ProxyPass mapping). */
  script: SiteScript | undefined;
  route: LiveRoute | undefined;
  /** The balancer member of the current attempt, and the attempt's number (0-based). */
  member: Member<MemberBackend> | undefined;
  attempt = 0;
  /** The target of the current exchange. */
  #target: Target | undefined;

  constructor(ctx: CallContext, request: ProxyRequest, info: ConnectionInfo, id: number, urlHost: string, opts: FetchOptions | undefined) {
    this.ctx = ctx;
    this.request = request;
    this.info = info;
    this.id = id;
    this.opts = opts;
    this.mount = opts?.mount ?? "";
    this.method = request.method;
    this.requestUri = info.rawTarget ?? request.url;
    this.serverSoftware = ctx.config.serverSoftware;
    this.urlHost = urlHost;
  }

  /** `PREFIX-N`. */
  get reqId(): string {
    return `${this.ctx.idPrefix}-${this.id}`;
  }

  /** The route as the client sees it (under a mount point, the mount plus the prefix). */
  get shownRoute(): string | undefined {
    const r = this.route;
    return r === undefined ? undefined : shownRoute(this.mount, r.prefix);
  }

  /** The one access line of the request (failed balancer attempts before it are warnings of their own). */
  access(level: LogLevel, backend: string | undefined, status: number | string, bytes: number | undefined, message?: string): void {
    const log = this.ctx.log;
    if (!log.enabled(level)) return;
    log.log(level, {
      req: this.reqId,
      client: this.info.remoteAddress || undefined,
      method: this.method,
      uri: shownUri(this.requestUri),
      route: this.shownRoute,
      backend,
      status,
      bytes,
      ms: Date.now() - this.started,
      ua: shownAgent(this.request.headers.get("user-agent")),
    }, message);
  }

  /** Ends the request before (or instead of) an exchange: logged here, answered with the error's status. */
  reject(error: GatewayError): ProxyResponse {
    const route = this.route;
    this.access(error.status >= 500 ? "error" : "warn", route?.config.target.text, error.status, undefined, error.message);
    if (route) route.errors++;
    this.request.body?.cancel().catch(() => {});
    return errorResponse(error);
  }

  /** Ends the request with what a site answered by itself (a static file, a redirect, a 304...). */
  answer(reply: SiteReply, what: string): ProxyResponse {
    const body = reply.body;
    this.access("info", what, reply.status, body instanceof Uint8Array ? body.length : undefined);
    this.request.body?.cancel().catch(() => {});
    // Bytes carry their own length: every adapter sets Content-Length for them, as for any ProxyResponse.
    const headers = body instanceof Uint8Array ? reply.headers.filter((h) => h[0] !== "content-length") : reply.headers;
    return { status: reply.status, statusText: statusText(reply.status), headers, body };
  }

  /**
   * One exchange with one backend. Resolves with the response (an error response when the exchange failed,
   * already logged), or undefined when a failed connect was handed back to the balancer. Throws a GatewayError
   * when nothing could be sent (a script path refused, a variable too large): the caller rejects with it.
   */
  async send(target: Target, pool: BackendPool, extraEnv: ReadonlyArray<readonly [string, string]> = NO_ENV): Promise<ProxyResponse | undefined> {
    const route = this.route!;
    const encoded = encodeHead(this, route.config, target, pool.keepConn, extraEnv, this.ctx.isFile);
    const head = encoded instanceof Promise ? await encoded : encoded;
    const config = route.config;
    this.#target = target;
    route.inFlight++;
    this.ctx.inFlight++;
    const exchange = new Exchange({
      pool,
      connectTimeoutMs: config.connectTimeoutMs,
      ioTimeoutMs: config.ioTimeoutMs,
      limits: this.ctx.limits,
      maxStderr: this.ctx.config.maxStderrLog,
      head,
      body: this.body,
      discardBody: this.method === "HEAD",
      mergeChunks: this.opts?.mergeChunks === true,
      quietBodyErrors: this.opts?.quietBodyErrors === true,
      retryable: mayResend(this.method, this.body.kind === "stream"),
      ticker: this.ctx.ticker,
      owner: this,
    });
    return exchange.run();
  }

  // --- ExchangeOwner ---

  clientGone(): AbortHook | undefined {
    return this.info.clientGone ?? this.request.signal;
  }

  stderrLine(line: string): void {
    this.ctx.log.log("warn", { req: this.reqId, route: this.shownRoute }, `stderr: ${line}`);
  }

  connectFailed(error: ConnectFailed): boolean {
    const member = this.member;
    const backend = this.route?.backend;
    if (member === undefined || backend?.kind !== "balancer") return false;
    const { inError, tryAnother } = failedConnect(backend.balancer, member, this.attempt);
    this.ctx.log.log("warn", { req: this.reqId, route: this.shownRoute, member: member.name },
      `balancer attempt failed: ${error.message}${inError ? `; member in error for ${member.retryMs / 1000} s` : ""}`);
    return tryAnother;
  }

  done(outcome: ExchangeOutcome): void {
    const route = this.route!;
    route.inFlight--;
    this.ctx.inFlight--;
    const member = this.member;
    if (member !== undefined && route.backend.kind === "balancer") {
      const balancer = route.backend.balancer;
      balancer.finished(member, outcome.backendWritten, outcome.backendRead);
      if (!outcome.clientAborted) balancer.noteStatus(member, outcome.status, Date.now());
    }
    if (outcome.handedBack) return; // connectFailed() logged it; the balancer tries another member
    const error = outcome.error;
    if (error instanceof ConnectFailed && member !== undefined) {
      // The balancer ran out of members to try: it answers for itself (its URL), as a rejection.
      this.reject(error);
      return;
    }
    const backend = this.#target!.text;
    if (error instanceof CutAtShutdown) {
      route.errors++;
      this.access("warn", backend, "cut-at-shutdown", outcome.bytesOut, error.message);
      return;
    }
    const failed = error !== undefined && !outcome.clientAborted;
    if (failed) route.errors++;
    if (outcome.noInputFile && route.config.backendType === "FPM") {
      this.access("warn", backend, outcome.status, outcome.bytesOut, 'the backend answered "No input file specified.", as ' +
        "php-cgi does to the FPM-style SCRIPT_FILENAME: set backend-type=GENERIC on this route");
      return;
    }
    this.access(failed ? "error" : "info", backend, outcome.clientAborted ? "client-aborted" : outcome.status, outcome.bytesOut, error?.message);
  }
}
