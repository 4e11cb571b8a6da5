// One balancer member (Apache's proxy_worker as a BalancerMember): its weight, route, lbset, status flags and
// the counters the lbmethods read. Pure state, no I/O; `payload` carries whatever the gateway attaches.
// Reference: Apache httpd 2.4 mod_proxy.h (status bits), mod_proxy.c (parameter parsing), proxy_util.c
// (ap_proxy_retry_worker).

/**
 * Apache's status letters: D disabled, S stopped, I ignore errors, H hot standby, R hot spare, E in error,
 * N drain, C health check failed (set by the health checker).
 */
export type MemberStatusFlag = "D" | "S" | "I" | "H" | "R" | "E" | "N" | "C";

// Bits in Apache's table order (ap_proxy_parse_wstatus prints them in this order).
const BIT: Readonly<Record<MemberStatusFlag, number>> = { I: 1, N: 2, D: 4, S: 8, E: 16, H: 32, C: 64, R: 128 };
const ORDER: readonly MemberStatusFlag[] = ["I", "N", "D", "S", "E", "H", "C", "R"];
/** PROXY_WORKER_NOT_USABLE_BITMAP minus "in shutdown", which has no meaning here. */
const NOT_USABLE = BIT.D | BIT.S | BIT.E | BIT.C;

export interface MemberOptions {
  /** Weight, 1..100 with decimals; Apache keeps it ×100 as an integer (`lbfactor`). Default 1. */
  readonly loadfactor?: number;
  /** The session route this member answers to (stickysession). Default "". */
  readonly route?: string;
  /** Route of the member that takes this member's sticky sessions while it is unusable. Default "". */
  readonly redirect?: string;
  /** Balancer tier 0..99: lower tiers are tried first. Default 0. */
  readonly lbset?: number;
  /** Initial status flags (after applying `status=` changes). */
  readonly status?: Iterable<MemberStatusFlag>;
  /** How long a member in error (E) stays out before it is tried again, ms. Default 60000. */
  readonly retryMs?: number;
}

export const MEMBER_DEFAULTS = { loadfactor: 1, route: "", redirect: "", lbset: 0, retryMs: 60_000 } as const;

const STATUS_LETTERS = new Set<string>(ORDER);

/**
 * Parses an Apache `status=` value into ordered changes: `+H`, `-E`, `S-E`, `DE`. A letter without a sign
 * sets the flag, as does `+`; `-` clears it and stays in force for the letters after it until a `+`
 * (mod_proxy.c set_worker_param). Letters are case-insensitive.
 */
export function parseStatusParam(value: string): Array<readonly [MemberStatusFlag, boolean]> {
  const changes: Array<readonly [MemberStatusFlag, boolean]> = [];
  let set = true;
  for (let i = 0; i < value.length; i++) {
    let c = value[i]!;
    if (c === "+" || c === "-") {
      set = c === "+";
      c = value[++i] ?? "";
    }
    const flag = c.toUpperCase();
    if (!STATUS_LETTERS.has(flag)) {
      throw `status "${value}": unknown flag ${c === "" ? "(missing after sign)" : JSON.stringify(c)} (use D S I H R E N C, with + or -)`;
    }
    changes.push([flag as MemberStatusFlag, set]);
  }
  return changes;
}

/** Applies parsed `status=` changes to a flag set (a new set). */
export function applyStatusParam(flags: Iterable<MemberStatusFlag>, value: string): Set<MemberStatusFlag> {
  const out = new Set(flags);
  for (const [flag, set] of parseStatusParam(value)) {
    if (set) out.add(flag);
    else out.delete(flag);
  }
  return out;
}

/**
 * Apache's rule for `loadfactor` (mod_proxy.c): the decimal ×100, truncated to an integer, must fall in
 * 100..10000. Returns that integer, or undefined when out of range.
 */
export function lbfactorOf(loadfactor: number): number | undefined {
  const lbfactor = Math.trunc(loadfactor * 100);
  return lbfactor >= 100 && lbfactor <= 10_000 ? lbfactor : undefined;
}

export class Member<T = unknown> {
  readonly name: string;
  readonly payload: T;
  readonly route: string;
  readonly redirect: string;
  readonly lbset: number;
  /** The weight ×100, as Apache stores it; the lbmethods compute with this. */
  readonly lbfactor: number;
  readonly retryMs: number;

  /** byrequests/bybusyness accumulator (Apache's lbstatus). */
  lbstatus = 0;
  /** Requests in flight (Apache's busy). */
  busy = 0;
  /** Bytes sent to the backend (Apache's `transferred`). */
  bytesWritten = 0;
  /** Bytes received from the backend (Apache's `read`). */
  bytesRead = 0;
  /** Times chosen (Apache's `elected`). */
  elected = 0;
  /** Times put into error. */
  errors = 0;
  /** Times taken out of error by the retry rule or forced recovery (Apache's `retries`). */
  retries = 0;
  /**
   * When the member went into error, ms. A member configured with E has Apache's error_time of 0, so its
   * retry period has long passed: -Infinity here.
   */
  errorTime = -Infinity;

  #bits = 0;

  constructor(name: string, options: MemberOptions, payload: T) {
    this.name = name;
    this.payload = payload;
    this.route = options.route ?? MEMBER_DEFAULTS.route;
    this.redirect = options.redirect ?? MEMBER_DEFAULTS.redirect;
    const lbset = options.lbset ?? MEMBER_DEFAULTS.lbset;
    if (!Number.isInteger(lbset) || lbset < 0 || lbset > 99) throw new RangeError(`lbset must be 0..99, got ${lbset}`);
    this.lbset = lbset;
    const loadfactor = options.loadfactor ?? MEMBER_DEFAULTS.loadfactor;
    const lbfactor = lbfactorOf(loadfactor);
    if (lbfactor === undefined) throw new RangeError(`loadfactor must be 1..100, got ${loadfactor}`);
    this.lbfactor = lbfactor;
    const retryMs = options.retryMs ?? MEMBER_DEFAULTS.retryMs;
    if (!(retryMs >= 0)) throw new RangeError(`retry must not be negative, got ${retryMs}`);
    this.retryMs = retryMs;
    for (const flag of options.status ?? []) this.setFlag(flag);
  }

  /** The weight as configured (lbfactor / 100). */
  get loadfactor(): number {
    return this.lbfactor / 100;
  }

  has(flag: MemberStatusFlag): boolean {
    return (this.#bits & BIT[flag]) !== 0;
  }

  setFlag(flag: MemberStatusFlag): void {
    this.#bits |= BIT[flag];
  }

  clearFlag(flag: MemberStatusFlag): void {
    this.#bits &= ~BIT[flag];
  }

  /** The flags set, in Apache's display order, e.g. "IH"; "" when none. */
  get flags(): string {
    let s = "";
    for (const f of ORDER) if (this.#bits & BIT[f]) s += f;
    return s;
  }

  /** Not disabled, stopped, in error or failing its health check (PROXY_WORKER_IS_USABLE). No side effects. */
  get usable(): boolean {
    return (this.#bits & NOT_USABLE) === 0;
  }

  /**
   * Apache's ap_proxy_retry_worker: a member in error leaves it once its retry period has passed
   * (strictly after errorTime + retry), or at once with I (ignore errors); a stopped one never does.
   * Returns false when the member stays in error.
   */
  retry(now: number): boolean {
    if ((this.#bits & BIT.E) === 0) return true;
    if (this.#bits & BIT.S) return false;
    if ((this.#bits & BIT.I) !== 0 || now > this.errorTime + this.retryMs) {
      this.retries++;
      this.#bits &= ~BIT.E;
      return true;
    }
    return false;
  }

  /** What Apache does wherever it considers a member: retry it if unusable, then look again. */
  isUsable(now: number): boolean {
    if (this.usable) return true;
    this.retry(now);
    return this.usable;
  }

  /**
   * Puts the member in error (E) as of `now`, as Apache does on a refused connection, a 503/500 from the
   * scheme handler, or a `failonstatus` match; never with I (ignore errors). Returns whether it did.
   */
  markError(now: number): boolean {
    if (this.#bits & BIT.I) return false;
    this.#bits |= BIT.E;
    this.errorTime = now;
    this.errors++;
    return true;
  }

  /** Takes the member out of error (a passed health check, an operator). */
  clearError(): void {
    this.#bits &= ~BIT.E;
  }
}
