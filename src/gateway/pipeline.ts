// The steps of one request before it reaches a backend, in order: the request-target, the Host header, the
// shutdown gate, the path's decoding, the mount point, the route (first match), the body plan; then one backend,
// or a balancer's members in turn (src/pool/balancer/failover.ts). Each refusal is answered by Call.reject.
import { decodeRequestPath } from "../cgi/url-path.ts";
import type { ConnectionInfo } from "../connection-info.ts";
import { BadRequest, GatewayError, NotFound, ServiceUnavailable } from "../errors.ts";
import { failover } from "../pool/balancer/failover.ts";
import type { TempStore } from "../platform/types.ts";
import type { MemberBackend } from "./backends.ts";
import { Call, type CallContext } from "./call.ts";
import type { LiveRoute } from "./live-route.ts";
import type { ProxyRequest, ProxyResponse } from "./messages.ts";
import { prefixMatches } from "./prefix.ts";
import { planBody } from "./request-body.ts";
import { requestTarget, urlHost } from "./request-target.ts";
import { matchRoute } from "./router.ts";
import { siteStep } from "./site-step.ts";
import type { FetchOptions } from "./types.ts";
import type { Member } from "../pool/balancer/member.ts";

/** RFC 3986 host (reg-name or IP literal) with an optional port. */
const VALID_HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~!$&'()*+,;=%-]*)(?::\d*)?$/;

/** The request path of the gateway: one per gateway, one handle() per request. */
export class Pipeline {
  readonly ctx: CallContext;
  readonly #routes: readonly LiveRoute[];
  readonly #tempStore: TempStore | undefined;
  readonly #memorySpoolCap: number;
  /** Set by the gateway's close(): new requests get a 503. */
  closed = false;

  constructor(ctx: CallContext, routes: readonly LiveRoute[], tempStore: TempStore | undefined, memorySpoolCap: number) {
    this.ctx = ctx;
    this.#routes = routes;
    this.#tempStore = tempStore;
    this.#memorySpoolCap = memorySpoolCap;
  }

  /** Answers one request; `infoGiven` false: `info` was made up from the URL. Never rejects for the request's failure. */
  async handle(request: ProxyRequest, info: ConnectionInfo, id: number, infoGiven: boolean, opts: FetchOptions | undefined): Promise<ProxyResponse> {
    const call = new Call(this.ctx, request, info, id, infoGiven ? "" : urlHost(request.url), opts);
    const target = requestTarget(request.url, info);
    if (target instanceof GatewayError) return call.reject(target);
    // Bun resolves an invalid Host away instead of refusing it; refuse it here for every runtime, as Apache does.
    const host = request.headers.get("host");
    if (host !== null && !VALID_HOST.test(host)) return call.reject(new BadRequest(`invalid Host header ${JSON.stringify(host.slice(0, 100))}`));
    call.query = target.query;
    call.requestUri = target.uri;
    if (this.closed) return call.reject(new ServiceUnavailable("gateway is shutting down"));
    let path: string;
    try {
      path = decodeRequestPath(target.path);
    } catch (e) {
      return call.reject(e as GatewayError);
    }
    call.path = path;
    let routed = path;
    const mount = call.mount;
    if (mount !== "") {
      if (!prefixMatches(mount, path)) return call.reject(new NotFound(`${path} is outside the mount point ${mount}`));
      routed = path.slice(mount.endsWith("/") ? mount.length - 1 : mount.length) || "/";
    }
    const hit = matchRoute(this.#routes, routed);
    if (!hit) return call.reject(new NotFound(`no route for ${path}`));
    const live = hit.route;
    call.route = live;
    call.rest = hit.rest;
    live.requests++;
    call.documentRoot = live.config.documentRoot ?? this.ctx.config.documentRoot;
    const site = live.site;
    if (site !== undefined) {
      const base = (mount.endsWith("/") ? mount.slice(0, -1) : mount) + (live.prefix === "/" ? "" : live.prefix);
      const answered = await siteStep(call, site, this.ctx.siteFiles!, live.prefix === "/" ? routed : hit.rest, target.path, base);
      if (answered !== undefined) return answered;
    }
    try {
      const planned = planBody(request, {
        maxBody: live.config.maxBody,
        buffering: live.config.requestBuffering,
        tempStore: this.#tempStore,
        memoryOnlyCap: this.#memorySpoolCap,
      });
      call.body = planned instanceof Promise ? await planned : planned; // no await (a microtask) for no body
    } catch (e) {
      return call.reject(e instanceof GatewayError ? e : new BadRequest(`reading the request body failed: ${(e as Error).message}`));
    }
    try {
      const backend = live.backend;
      if (backend.kind === "single") return (await call.send(backend.target, backend.pool))!;
      if (backend.kind === "none") return call.reject(new NotFound(`${path}: this site has no backend`));
      const rawQuery = call.query === "" && !call.requestUri.includes("?") ? null : call.query;
      return await failover(backend.balancer, path, rawQuery, request.headers.get("cookie"), (member, env, n) => tryMember(call, member, env, n));
    } catch (e) {
      // Only what stopped a request before its exchange (the exchange answers its own failures).
      if (e instanceof GatewayError) return call.reject(e);
      throw e;
    }
  }
}

function tryMember(call: Call, member: Member<MemberBackend>, env: ReadonlyArray<readonly [string, string]>, n: number): Promise<ProxyResponse | undefined> {
  call.member = member;
  call.attempt = n;
  return call.send(member.payload.target, member.payload.pool, env);
}
