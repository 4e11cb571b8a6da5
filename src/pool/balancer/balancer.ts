// A `balancer://` and its members: chooses the member for each request exactly as Apache 2.4's
// mod_proxy_balancer does (proxy_balancer_pre_request): forced recovery first, then the sticky session
// route, then the lbmethod over lbsets, spares and standbys. Pure: the caller supplies `now` and reports
// requests starting and ending.
import { bestMember } from "./best-member.ts";
import { createLbChooser, type LbChooser, type LbMethod } from "./lbmethods.ts";
import type { Member } from "./member.ts";
import { findSessionRoute, parseStickySession, type SessionRoute, type StickyNames } from "./sticky.ts";

export interface BalancerOptions {
  /** Default "byrequests". */
  readonly lbmethod?: LbMethod;
  /** `COOKIE|PARAM`, or one name for both; "" (default) for no sticky sessions. */
  readonly stickysession?: string;
  /** The character before the route in a session value; default "."; null is Apache's `Off` (all of it). */
  readonly stickysessionsep?: string | null;
  /** Also end a URL session parameter at ";" (default false). */
  readonly scolonpathdelim?: boolean;
  /** A request whose route names an unusable member gets 503 instead of another member (default false). */
  readonly nofailover?: boolean;
  /** When every member is in error, take them all out of error at once (default true). */
  readonly forcerecovery?: boolean;
  /** Further members to try after a failure; default members − 1 with more than one member, else 0. */
  readonly maxattempts?: number;
  /** Response statuses that put the member in error for later requests (default none). */
  readonly failonstatus?: readonly number[];
}

export interface PickRequest {
  /**
   * Where a session URL parameter is looked for: the request's %-decoded path, then "?" and the query as
   * sent when there is one. Apache searches exactly that (r->uri after ProxyPass mapping, plus r->args), so
   * `/app;jsessionid%3Dx.n1` carries route n1 but `?jsessionid=x.n%31` carries "n%31". See sessionTarget().
   */
  readonly target: string;
  /** The Cookie header (several joined with ", "), or null. */
  readonly cookie: string | null;
}

/** The PickRequest target from a decoded path and the raw query (without "?"; null when there is none). */
export function sessionTarget(decodedPath: string, rawQuery: string | null): string {
  return rawQuery === null ? decodedPath : `${decodedPath}?${rawQuery}`;
}

export type PickResult<T> =
  | {
      readonly kind: "member";
      readonly member: Member<T>;
      /** The session route found in the request, if any (whether or not it decided the choice). */
      readonly session: SessionRoute | undefined;
      /** The member was chosen by the session route (sticky hit). */
      readonly sticky: boolean;
      /**
       * Apache's BALANCER_ROUTE_CHANGED: the balancer has sticky sessions and the member is not the one
       * the request's route names (no route, route's member unusable, or reached through `redirect`).
       */
      readonly routeChanged: boolean;
    }
  | {
      readonly kind: "unavailable";
      /** `none-usable`: no member can take the request; `nofailover`: its route's member cannot. Both 503. */
      readonly reason: "none-usable" | "nofailover";
      readonly session: SessionRoute | undefined;
    };

export class Balancer<T> {
  /** The name without `balancer://`. */
  readonly name: string;
  readonly members: readonly Member<T>[];
  readonly lbmethod: LbMethod;
  readonly sticky: StickyNames | undefined;
  readonly stickySeparator: string | null;
  readonly scolonPathDelim: boolean;
  readonly nofailover: boolean;
  readonly forcerecovery: boolean;
  /** How many other members a failed request may go on to (the gateway's failover loop bound). */
  readonly maxAttempts: number;
  readonly failOnStatus: ReadonlySet<number>;
  readonly #chooser: LbChooser;

  constructor(name: string, members: readonly Member<T>[], options: BalancerOptions = {}) {
    this.name = name.replace(/^balancer:\/\//i, "");
    this.members = [...members];
    this.lbmethod = options.lbmethod ?? "byrequests";
    this.#chooser = createLbChooser(this.lbmethod);
    this.sticky = parseStickySession(options.stickysession ?? "");
    const sep = options.stickysessionsep === undefined ? "." : options.stickysessionsep;
    if (sep !== null && sep.length !== 1) throw new RangeError(`stickysessionsep must be one character or null, got ${JSON.stringify(sep)}`);
    this.stickySeparator = sep;
    this.scolonPathDelim = options.scolonpathdelim ?? false;
    this.nofailover = options.nofailover ?? false;
    this.forcerecovery = options.forcerecovery ?? true;
    // mod_proxy_balancer init_balancer_members: the default is set only with more than one member.
    this.maxAttempts = options.maxattempts ?? (this.members.length > 1 ? this.members.length - 1 : 0);
    this.failOnStatus = new Set(options.failonstatus ?? []);
  }

  /** `balancer://name`, Apache's BALANCER_NAME. */
  get url(): string {
    return `balancer://${this.name}`;
  }

  /**
   * Chooses the member for a request. `exclude` holds the members already tried for this request (on
   * failover): they count as unusable here, as Apache has put them in error by then. Call `started` with the
   * member right away (Apache counts it busy in the same step).
   */
  pick(request: PickRequest, now: number, exclude?: ReadonlySet<Member<T>>): PickResult<T> {
    this.#forceRecovery(now);
    let session: SessionRoute | undefined;
    if (this.sticky !== undefined) {
      session = findSessionRoute(request.target, request.cookie, this.sticky, this.scolonPathDelim, this.stickySeparator);
      if (session !== undefined && session.route !== "") {
        const member = this.#routeMember(session.route, now, exclude, 1);
        if (member !== undefined) {
          this.#consumeStickySlot(member, exclude);
          member.elected++;
          return { kind: "member", member, session, sticky: true, routeChanged: member.route !== session.route };
        }
      }
      // nofailover: 503 when the route belongs to this balancer but its member (and redirects) cannot serve.
      if (session !== undefined && this.nofailover && session.route !== "" && this.members.some((m) => m.route === session!.route)) {
        return { kind: "unavailable", reason: "nofailover", session };
      }
    }
    const member = bestMember(this.members, this.#chooser, now, exclude);
    if (member === undefined) return { kind: "unavailable", reason: "none-usable", session };
    member.elected++;
    return { kind: "member", member, session, sticky: false, routeChanged: this.sticky !== undefined };
  }

  /** A request started on `member` (Apache's busy++). */
  started(member: Member<T>): void {
    member.busy++;
  }

  /** A request on `member` ended, having written and read these many bytes to and from the backend. */
  finished(member: Member<T>, bytesWritten = 0, bytesRead = 0): void {
    if (member.busy > 0) member.busy--;
    member.bytesWritten += bytesWritten;
    member.bytesRead += bytesRead;
  }

  /**
   * After a response: a status listed in `failonstatus` puts the member in error (not with I), for later
   * requests; this request is not retried. Returns whether it did.
   */
  noteStatus(member: Member<T>, status: number, now: number): boolean {
    return this.failOnStatus.has(status) && member.markError(now);
  }

  /**
   * The variables Apache adds to the request environment for a chosen member (and so passes to a FastCGI
   * backend): BALANCER_ROUTE_CHANGED, BALANCER_NAME, BALANCER_WORKER_NAME, BALANCER_WORKER_ROUTE,
   * BALANCER_SESSION_STICKY, BALANCER_SESSION_ROUTE.
   */
  env(result: PickResult<T>): Array<readonly [string, string]> {
    if (result.kind !== "member") return [];
    const out: Array<readonly [string, string]> = [];
    if (result.routeChanged) out.push(["BALANCER_ROUTE_CHANGED", "1"]);
    out.push(["BALANCER_NAME", this.url], ["BALANCER_WORKER_NAME", result.member.name], ["BALANCER_WORKER_ROUTE", result.member.route]);
    if (result.session !== undefined) {
      out.push(["BALANCER_SESSION_STICKY", result.session.sticky], ["BALANCER_SESSION_ROUTE", result.session.route]);
    }
    return out;
  }

  /**
   * mod_proxy_balancer force_recovery: done when some member is out of error or leaves it by the retry rule
   * (tried in order, up to the first that does); otherwise, with forcerecovery, every member leaves error.
   */
  #forceRecovery(now: number): void {
    for (const m of this.members) {
      if (!m.has("E") || m.retry(now)) return;
    }
    if (!this.forcerecovery) return;
    for (const m of this.members) {
      m.retries++;
      m.clearError();
    }
  }

  /**
   * mod_proxy_balancer find_route_worker: the first usable member with this route, non-standbys before hot
   * standbys; an unusable one with `redirect` hands over to the member of that route (followed at most as
   * many times as there are members).
   */
  #routeMember(route: string, now: number, exclude: ReadonlySet<Member<T>> | undefined, depth: number): Member<T> | undefined {
    for (const standbyPass of [false, true]) {
      for (const m of this.members) {
        if (m.has("H") !== standbyPass || m.route === "" || m.route !== route) continue;
        if (m.isUsable(now) && !exclude?.has(m)) return m;
        if (m.redirect !== "" && depth < this.members.length) {
          const r = this.#routeMember(m.redirect, now, exclude, depth + 1);
          if (r !== undefined) return r;
        }
      }
    }
    return undefined;
  }

  /**
   * A sticky hit still uses a slot (mod_proxy_balancer's default when the lbmethod has no updatelbstatus,
   * which none of the three has): every usable member earns its weight and the chosen one pays the total.
   */
  #consumeStickySlot(chosen: Member<T>, exclude: ReadonlySet<Member<T>> | undefined): void {
    let total = 0;
    for (const m of this.members) {
      if (m.usable && !exclude?.has(m)) {
        m.lbstatus += m.lbfactor;
        total += m.lbfactor;
      }
    }
    chosen.lbstatus -= total;
  }
}
