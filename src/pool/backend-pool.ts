// Connections to one backend address, per process: reuse (FCGI_KEEP_CONN), a bound on idle connections
// (`smax`) and on open ones (`max`), a FIFO wait queue (`acquire`), idle expiry (`ttl`), the background
// FCGI_GET_VALUES probe, and multiplexing when the application reports FCGI_MPXS_CONNS=1.
//
// Why the idle bound matters: a PHP-FPM child serves one connection until it closes, so idle pooled
// connections pin children; keep smax × gateway processes below pm.max_children.
import { ServiceUnavailable } from "../errors.ts";
import type { Endpoint } from "../transport/types.ts";
import { endpointText } from "./endpoint.ts";
import type { Platform } from "../platform/types.ts";
import { BackendConnection } from "./backend-connection.ts";
import { queryValues, type Capabilities } from "./get-values.ts";

export interface PoolOptions {
  /** Keep connections open between requests (FCGI_KEEP_CONN). */
  readonly reuse: boolean;
  /** Connections open at once; further requests wait. */
  readonly max: number;
  /**
   * `max` was configured: it wins over a lower FCGI_MAX_CONNS (with a warning) and turns off lowering it
   * for a starving backend.
   */
  readonly maxSet: boolean;
  /** Idle connections kept; surplus ones close when released. */
  readonly smax: number;
  /** Idle connections older than this close (ms). */
  readonly ttlMs: number;
  /** Longest wait for a connection when `max` are open (ms) → 503. */
  readonly acquireMs: number;
  /** Requests per connection when the application multiplexes. */
  readonly mpxMax: number;
  /** After a failed GET_VALUES probe, wait this long before probing again (ms). */
  readonly retryMs: number;
  /** Send the FCGI_GET_VALUES probe when reusing (`get-values`; never on Workers). */
  readonly probe: boolean;
  /**
   * A request that has waited this long for its first response byte makes released connections close
   * instead of idling, so a backend that serves one connection per process moves on (`starve-after`, ms).
   */
  readonly starveAfterMs: number;
}

export const POOL_DEFAULTS: PoolOptions = {
  reuse: true,
  max: 64,
  maxSet: false,
  smax: 4, // below PHP-FPM's default pm.max_children of 5
  ttlMs: 5_000,
  acquireMs: 5_000,
  mpxMax: 100,
  retryMs: 60_000,
  probe: true,
  starveAfterMs: 1_000,
};

/** A first byte this soon after a starvation close counts as the close having freed the backend. */
const STARVE_CONFIRM_MS = 50;
/** Confirmations before the pool's effective max is lowered. */
const STARVE_CONFIRMATIONS = 3;

/** A connection and a request id on it, for one request. */
export interface Lease {
  readonly conn: BackendConnection;
  readonly requestId: number;
  /** The connection carried a request before: a failure before any response byte may be a stale connection. */
  readonly reused: boolean;
}

/** A pool's connections and counters at the moment of the call. */
export interface PoolStats {
  readonly open: number;
  readonly busy: number;
  readonly idle: number;
  readonly waiting: number;
  readonly connects: number;
  readonly connectFailures: number;
  readonly reuses: number;
  readonly multiplexing: boolean;
  /** Connections allowed open at once now: `max`, or lower after FCGI_MAX_CONNS or starvation. */
  readonly max: number;
  /** Requests sent on a connection opened for them because they may not be retried (unsafe method, streamed body). */
  readonly unsafeFresh: number;
  /** Requests sent again, once, on a new connection after a pooled one failed before any response byte. */
  readonly retries: number;
  /** Connections closed on release because a request was starving for its first byte. */
  readonly starveCloses: number;
}

/** Why a request asks for a connection of its own rather than a pooled one. */
export type FreshReason = "unsafe" | "retry";

/** One request waiting for its first response byte (the exchange). */
export interface FirstByteWaiter {
  /** The response has begun: its first byte arrived. */
  readonly responding: boolean;
}

/** What a waiter is woken with: a connection handed over, or a free slot to open its own connection in. */
const OPEN_SLOT = Symbol("open-slot");

interface Waiter {
  readonly resolve: (lease: Lease | typeof OPEN_SLOT) => void;
  readonly reject: (e: Error) => void;
  readonly connectTimeoutMs: number;
  /** Needs a connection opened for it: never handed a released one. */
  readonly fresh: boolean;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/** The runtime services a pool uses: its sockets and a timer that does not hold the process open. */
export type PoolPlatform = Pick<Platform, "connector" | "unrefTimer">;

export class BackendPool {
  readonly endpoint: Endpoint;
  readonly options: PoolOptions;
  readonly #platform: PoolPlatform;
  readonly #warn: (message: string) => void;
  /** Every open (or opening) connection. */
  readonly #all = new Set<BackendConnection>();
  /** Idle connections, most recently used last. */
  readonly #idle: BackendConnection[] = [];
  readonly #waiters: Waiter[] = [];
  #connecting = 0;
  #connects = 0;
  #connectFailures = 0;
  #reuses = 0;
  #sweep: ReturnType<typeof setTimeout> | undefined;
  #capabilities: Capabilities | undefined;
  #probe: "never" | "running" | "done" | "refused" = "never";
  #probeFailedAt = 0;
  #closed = false;
  /** Effective max (see PoolStats.max). */
  #max: number;
  #unsafeFresh = 0;
  #retries = 0;
  /** Requests past starve-after without a first byte. */
  readonly #starving = new Set<FirstByteWaiter>();
  #lastStarveClose = 0;
  #starveCloses = 0;
  #starveConfirmed = 0;
  #longestStarveMs = 0;
  /** Releases waiting for the end of the I/O turn that delivered their END_REQUEST (see release). */
  #pending: Lease[] = [];
  /** Acquires waiting for those releases (no idle connection meanwhile). */
  #afterFlush: Array<() => void> = [];
  readonly #flush = () => this.#flushPending();

  constructor(endpoint: Endpoint, platform: PoolPlatform, options: PoolOptions = POOL_DEFAULTS, warn: (m: string) => void = () => {}) {
    this.endpoint = endpoint;
    this.options = options;
    this.#max = options.max;
    this.#platform = platform;
    this.#warn = warn;
  }

  /** Whether BEGIN_REQUEST should carry FCGI_KEEP_CONN. */
  get keepConn(): boolean {
    return this.options.reuse;
  }

  get capabilities(): Capabilities | undefined {
    return this.#capabilities;
  }

  /** The application said FCGI_MPXS_CONNS=1 and reuse is on: requests share connections. */
  get multiplexing(): boolean {
    return this.#multiplexing;
  }

  get #multiplexing(): boolean {
    return this.options.reuse && this.#capabilities?.mpxsConns === true && this.options.mpxMax > 1;
  }

  /** An open connection with room for one more request, without waiting; undefined when acquire() must. */
  acquireNow(): Lease | undefined {
    if (this.#closed) return undefined;
    this.#maybeProbe();
    return this.#takeOpen();
  }

  /**
   * A connection (and request id) for one request. Rejects with the transport's error, or 503 after `acquire`.
   * `fresh`: a connection opened for this request (see FreshReason).
   */
  acquire(connectTimeoutMs: number, fresh?: FreshReason): Promise<Lease> {
    if (this.#closed) return Promise.reject(new ServiceUnavailable("gateway is shutting down"));
    this.#maybeProbe();
    if (fresh === "unsafe" && this.options.reuse && !this.#multiplexing) this.#unsafeFresh++;
    else if (fresh === "retry") this.#retries++;
    // A multiplexed connection is shared anyway: a fresh one buys nothing.
    if (this.#multiplexing) fresh = undefined;
    if (!fresh) {
      const lease = this.#takeOpen();
      if (lease) return Promise.resolve(lease);
      // A connection about to come back (its release waits for the end of the I/O turn): wait for it rather
      // than opening another.
      if (this.#pending.length > 0) {
        return new Promise<Lease>((resolve, reject) => {
          this.#afterFlush.push(() => this.acquire(connectTimeoutMs).then(resolve, reject));
        });
      }
    }
    // Multiplexing: connections being opened will take several requests each; wait for them rather than
    // opening one connection per concurrent request.
    if (this.#multiplexing && !fresh && this.#waiters.length < this.#connecting * (this.options.mpxMax - 1)) {
      return this.#wait(connectTimeoutMs);
    }
    if (fresh && this.#idle.length > 0) {
      // A fresh connection in place of an idle one, whether or not at the limit: the idle one pins a backend
      // process (a PHP-FPM child) that the new connection needs, and the pool keeps its size.
      this.#idle.shift()!.close();
      return this.#open(connectTimeoutMs);
    }
    if (this.#all.size + this.#connecting < this.#max) return this.#open(connectTimeoutMs);
    return this.#wait(connectTimeoutMs, fresh !== undefined);
  }

  /**
   * Joins the FIFO queue: served when a connection frees up, or refused after `acquire` ms. The woken waiter
   * clears its own timer and opens its own connection: on Workers a socket belongs to the request that opened
   * it, and a timer to the request that set it.
   */
  #wait(connectTimeoutMs: number, fresh = false): Promise<Lease> {
    let waiter!: Waiter;
    const woken = new Promise<Lease | typeof OPEN_SLOT>((resolve, reject) => {
      waiter = { resolve, reject, connectTimeoutMs, fresh, timer: undefined };
      waiter.timer = setTimeout(() => {
        const i = this.#waiters.indexOf(waiter);
        if (i < 0) return; // already woken
        this.#waiters.splice(i, 1);
        reject(new ServiceUnavailable(`no connection to ${endpointText(this.endpoint)} within ${this.options.acquireMs} ms (max=${this.#max} busy)`));
      }, this.options.acquireMs);
      this.#waiters.push(waiter);
    });
    return woken.then((got) => {
      clearTimeout(waiter.timer);
      return got === OPEN_SLOT ? this.#open(connectTimeoutMs, true) : got;
    });
  }

  /**
   * The request is over. `ok`: it ended with END_REQUEST and the connection may carry another one. Anything
   * else closes it (never reuse a connection whose state is unknown). A connection to keep goes back only
   * after the I/O turn that delivered END_REQUEST: a backend that closes after its last request (PHP-FPM's
   * pm.max_requests) sends its FIN right behind END_REQUEST, and a connection whose FIN was read is dropped
   * instead of carrying a request into the close.
   */
  release(lease: Lease, ok: boolean): void {
    // A multiplexed connection stays shared whatever this request did; its id must be freed at once, before
    // another request can be given the same id.
    if (!ok || !this.options.reuse || this.#closed || this.#multiplexing) {
      this.#releaseNow(lease, ok);
      return;
    }
    // One timer per I/O turn, however many requests ended in it.
    if (this.#pending.push(lease) === 1) afterIoTurn(this.#flush);
  }

  #flushPending(): void {
    const batch = this.#pending;
    this.#pending = [];
    for (const lease of batch) this.#releaseNow(lease, true);
    if (this.#afterFlush.length === 0) return;
    const waiting = this.#afterFlush;
    this.#afterFlush = [];
    for (const retry of waiting) retry();
  }

  #releaseNow(lease: Lease, ok: boolean): void {
    const conn = lease.conn;
    conn.unbind(lease.requestId);
    if (this.#multiplexing && conn.healthy) {
      if (ok || conn.active > 0) this.#afterMpxRelease(conn);
      else conn.close();
      return;
    }
    if (!ok || !this.options.reuse || !conn.reusable || this.#closed || this.#all.size > this.#max) {
      conn.close();
      return;
    }
    if (this.#starving.size > 0) {
      // A request waits for a backend process that serves one connection until it closes: close this one
      // so the process moves on (a waiter opens a connection of its own when this one is forgotten).
      this.#lastStarveClose = Date.now();
      this.#starveCloses++;
      conn.close();
      return;
    }
    const waiter = this.#waiters[0];
    if (waiter?.fresh) {
      conn.close(); // the waiter opens its own once this one is forgotten
      return;
    }
    if (waiter) {
      this.#waiters.shift();
      this.#reuses++;
      waiter.resolve({ conn, requestId: conn.reserveRequestId(), reused: true });
      return;
    }
    if (this.#idle.length >= this.options.smax) {
      conn.close();
      return;
    }
    conn.idleSince = Date.now();
    this.#idle.push(conn);
    this.#armSweep();
  }

  /** A request has waited `starveAfterMs` for its first byte (the exchange tells, from its tick). */
  starving(waiter: FirstByteWaiter, waitedMs: number): void {
    if (!this.options.reuse || this.#multiplexing) return;
    this.#starving.add(waiter);
    if (waitedMs > this.#longestStarveMs) this.#longestStarveMs = waitedMs;
    // Idle connections pin processes as much as busy ones: let them go now, not at their ttl.
    if (this.#idle.length > 0) {
      this.#lastStarveClose = Date.now();
      for (const conn of this.#idle.splice(0)) {
        this.#starveCloses++;
        conn.close();
      }
    }
  }

  /**
   * A starving request got its first byte, or ended. A first byte within STARVE_CONFIRM_MS of a starvation
   * close, STARVE_CONFIRMATIONS times, shows the backend serves only the connections it holds: its effective
   * max becomes the number of connections then answering (unless `max` was configured).
   */
  starved(waiter: FirstByteWaiter, gotFirstByte: boolean): void {
    if (!this.#starving.delete(waiter) || !gotFirstByte) return;
    if (Date.now() - this.#lastStarveClose > STARVE_CONFIRM_MS) return;
    if (++this.#starveConfirmed !== STARVE_CONFIRMATIONS || this.options.maxSet) return;
    let answering = 0;
    for (const c of this.#all) if (c.responding) answering++;
    const lowered = Math.max(1, Math.min(answering, this.#max));
    this.#warn(`backend ${endpointText(this.endpoint)} serves only the connections it holds: ${STARVE_CONFIRMATIONS} requests ` +
      `waited up to ${this.#longestStarveMs} ms for a first byte that came within ${STARVE_CONFIRM_MS} ms of a pooled ` +
      `connection closing; at most ${lowered} connections from now on (was ${this.#max}; set max= to choose)`);
    this.#max = lowered;
  }

  close(): void {
    this.#closed = true;
    this.#starving.clear();
    for (const lease of this.#pending.splice(0)) lease.conn.close();
    for (const retry of this.#afterFlush.splice(0)) retry(); // each rejects: the pool is closed
    if (this.#sweep !== undefined) clearTimeout(this.#sweep);
    for (const w of this.#waiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(new ServiceUnavailable("gateway is shutting down"));
    }
    for (const c of [...this.#all]) c.close();
    this.#idle.length = 0;
  }

  stats(): PoolStats {
    const idle = this.#multiplexing ? [...this.#all].filter((c) => c.active === 0).length : this.#idle.length;
    return {
      open: this.#all.size,
      busy: this.#all.size - idle,
      idle,
      waiting: this.#waiters.length,
      connects: this.#connects,
      connectFailures: this.#connectFailures,
      reuses: this.#reuses,
      multiplexing: this.#multiplexing,
      max: this.#max,
      unsafeFresh: this.#unsafeFresh,
      retries: this.#retries,
      starveCloses: this.#starveCloses,
    };
  }

  // --- internals ---

  /** An open connection that can take the request now, or undefined. */
  #takeOpen(): Lease | undefined {
    if (this.#multiplexing) {
      // Fill the busiest connection that has room: fewer connections is the point of multiplexing.
      let best: BackendConnection | undefined;
      for (const c of this.#all) {
        if (!c.healthy || c.active >= this.options.mpxMax) continue;
        if (!best || c.active > best.active) best = c;
      }
      if (!best) return undefined;
      this.#reuses++;
      return { conn: best, requestId: best.reserveRequestId(), reused: best.served > 0 };
    }
    const now = Date.now();
    while (this.#idle.length > 0) {
      const conn = this.#idle.pop()!; // most recently used first
      if (conn.reusable && now - conn.idleSince < this.options.ttlMs) {
        this.#reuses++;
        return { conn, requestId: conn.reserveRequestId(), reused: true };
      }
      conn.close();
    }
    return undefined;
  }

  /** `reserved`: the slot was already counted in #connecting for a woken waiter. */
  async #open(connectTimeoutMs: number, reserved = false): Promise<Lease> {
    if (!reserved) this.#connecting++;
    let conn: BackendConnection;
    try {
      conn = new BackendConnection(await this.#platform.connector(this.endpoint, { timeoutMs: connectTimeoutMs }));
    } catch (e) {
      this.#connectFailures++;
      this.#connecting--;
      // The slot is free again: a queued request must not wait out its acquire timeout for it (it tries
      // to connect itself, as each nginx request tries its upstream).
      this.#serveWaiter();
      throw e;
    }
    this.#connecting--;
    this.#connects++;
    this.#all.add(conn);
    conn.onClose = () => this.#forget(conn);
    conn.onIdFreed = () => this.#afterMpxRelease(conn);
    if (this.#closed) {
      conn.close();
      throw new ServiceUnavailable("gateway is shutting down");
    }
    const lease = { conn, requestId: conn.reserveRequestId(), reused: false };
    if (this.#multiplexing) queueMicrotask(() => this.#serveWaiter());
    return lease;
  }

  /** A connection closed: drop it, and let a waiter open a new one in its place. */
  #forget(conn: BackendConnection): void {
    this.#all.delete(conn);
    const i = this.#idle.indexOf(conn);
    if (i >= 0) this.#idle.splice(i, 1);
    this.#serveWaiter();
  }

  #serveWaiter(): void {
    if (this.#closed || this.#waiters.length === 0) return;
    if (this.#multiplexing) {
      for (let lease = this.#takeOpen(); lease; lease = this.#waiters.length > 0 ? this.#takeOpen() : undefined) {
        this.#waiters.shift()!.resolve(lease);
      }
      // Connections still opening will serve the rest.
      if (this.#waiters.length <= this.#connecting * (this.options.mpxMax - 1)) return;
    }
    if (this.#all.size + this.#connecting >= this.#max) return;
    this.#connecting++; // the slot is the woken waiter's
    this.#waiters.shift()!.resolve(OPEN_SLOT);
  }

  #afterMpxRelease(conn: BackendConnection): void {
    if (!conn.healthy) return;
    this.#serveWaiter();
    if (conn.active > 0) return;
    // An idle multiplexed connection: keep up to smax of them, expiring after ttl.
    const idle = [...this.#all].filter((c) => c.active === 0);
    if (idle.length > this.options.smax) {
      conn.close();
      return;
    }
    conn.idleSince = Date.now();
    if (!this.#idle.includes(conn)) this.#idle.push(conn);
    this.#armSweep();
  }

  /**
   * FCGI_MAX_CONNS above 1 caps the open connections unless `max` was configured (php-cgi reports its
   * PHP_FCGI_CHILDREN). 1 is no cap: libfcgi reports 1 even when threaded.
   */
  #applyMaxConns(maxConns: number | undefined): void {
    if (maxConns === undefined || maxConns <= 0 || maxConns >= this.options.max) return;
    if (this.options.maxSet) {
      this.#warn(`backend ${endpointText(this.endpoint)} reports FCGI_MAX_CONNS=${maxConns}, below max=${this.options.max} (libfcgi applications always report 1)`);
      return;
    }
    if (maxConns === 1) return;
    if (maxConns < this.#max) this.#max = maxConns;
  }

  /** Closes connections idle for `ttl`; runs only while some are idle, and never keeps the process alive. */
  #armSweep(): void {
    if (this.#sweep !== undefined || this.#closed) return;
    this.#sweep = setTimeout(() => {
      this.#sweep = undefined;
      const now = Date.now();
      for (const conn of [...this.#idle]) {
        if (conn.active > 0) {
          this.#idle.splice(this.#idle.indexOf(conn), 1); // a multiplexed one back in use
        } else if (now - conn.idleSince >= this.options.ttlMs) {
          conn.close();
        }
      }
      if (this.#idle.length > 0) this.#armSweep();
    }, Math.max(50, Math.min(this.options.ttlMs, 1000)));
    this.#platform.unrefTimer(this.#sweep);
  }

  /** FCGI_GET_VALUES once per backend, in the background on first use; no request waits for it. */
  #maybeProbe(): void {
    if (!this.options.probe || !this.options.reuse || this.#probe === "running" || this.#probe === "refused") return;
    if (this.#probe === "done" && (this.#capabilities !== undefined || Date.now() - this.#probeFailedAt < this.options.retryMs)) return;
    this.#probe = "running";
    queryValues(this.#platform.connector, this.endpoint, 1000)
      .then(
        (answer) => {
          if (answer === "closed") {
            // Never again: some libraries die on a management record (Debian's Ruby fcgi).
            this.#probe = "refused";
            this.#warn(`backend ${endpointText(this.endpoint)} closed the connection instead of answering FCGI_GET_VALUES: ` +
              `it gets no management records from now on (if it crashed, set get-values=off)`);
            return;
          }
          this.#probe = "done";
          if (answer === "silent") {
            this.#probeFailedAt = Date.now(); // "unknown": not cached, asked again after `retry`
            return;
          }
          this.#capabilities = answer;
          this.#applyMaxConns(answer.maxConns);
        },
        () => {
          this.#probe = "done";
          this.#probeFailedAt = Date.now();
        },
      );
  }
}

/** After the current I/O turn: Node's and Bun's setImmediate runs after the poll phase's reads. */
const afterIoTurn: (fn: () => void) => void = typeof setImmediate === "function"
  ? (fn) => { setImmediate(fn); }
  : (fn) => { setTimeout(fn, 0); };

